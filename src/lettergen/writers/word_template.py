"""Word documents rendered from a Word template (a ``.docx`` with Jinja2 tags).

The template was parsed and compiled once (:class:`~lettergen.wordtemplate.WordTemplate`); per
letter this writer renders its parts from the letter's context and zips them with the
template's other members, copied as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.exceptions import SecurityError

from ..errors import LettergenError, TemplateError

if TYPE_CHECKING:
    from ..merge import Letter
    from ..wordtemplate import WordTemplate

_RENDER_ERRORS = (
    jinja2.TemplateError,
    SecurityError,
    ArithmeticError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
)


class WordTemplateWriter:
    """Writes each letter as the Word template's document, filled in."""

    format = "docx"
    suffix = ".docx"

    def __init__(self, template: WordTemplate, encoding: str | None = None) -> None:
        self.template = template
        self.encoding = encoding
        self._templates: dict[Path, WordTemplate] = {template.path: template}

    def _template_for(self, letter: Letter) -> WordTemplate:
        """Return the template the letter was rendered from (a language variant, maybe)."""
        path = getattr(letter, "template", None) or self.template.path
        found = self._templates.get(path)
        if found is None:
            from ..wordtemplate import WordTemplate

            found = self._templates[path] = WordTemplate(path, self.encoding)
        return found

    def _render(self, letter: Letter) -> tuple[WordTemplate, dict[str, str]]:
        from ..wordtemplate import ForbiddenCharacterError, describe_char, locate_forbidden

        template = self._template_for(letter)
        record = letter.record
        try:
            return template, template.render_parts(letter.context)
        except ForbiddenCharacterError as exc:
            field = locate_forbidden(letter.context)
            if field is None:
                raise _with_record(template.explain(exc), record.id) from None
            raise record.error(
                f"holds the character {describe_char(exc.char)}, which a Word document cannot "
                "contain; remove it (a vertical tab is often a line break pasted from Excel)",
                field=field,
            ) from None
        except _RENDER_ERRORS as exc:
            raise _with_record(template.explain(exc), record.id) from None

    def check(self, letter: Letter) -> None:
        """Render the letter's document and make sure it is well-formed, writing nothing."""
        from ..wordtemplate import check_xml

        template, parts = self._render(letter)
        for name, xml in parts.items():
            problem = check_xml(xml)
            if problem:
                raise TemplateError(
                    f"{name} of this letter is not well-formed XML ({problem}); a block tag "
                    "({% if %}, {% for %}) probably opens and closes in different places: put "
                    "it alone in a paragraph, or open and close it within one paragraph",
                    path=template.path,
                    record=letter.record.id,
                )

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the letter's .docx file."""
        template, parts = self._render(letter)
        return template.package_bytes(parts)


def _with_record(error: LettergenError, record: str) -> LettergenError:
    """Return ``error`` naming the record it happened for."""
    error.record = record
    return error


def is_word_template(template: Any) -> bool:
    """Tell whether ``template`` is a Word template (without importing lxml or docx)."""
    return bool(getattr(template, "is_word", False))
