"""A Word letter's parts: its document, headers and footers, rendered from a Word template.

A letter from a Word template carries :class:`WordParts`; its XML is rendered the first time a
writer asks for it, so ``check``, dry runs and text-only runs never render XML, and the writer
only zips what it is given. A value holding a character XML cannot hold is named here, as the
field that holds it (:func:`lettergen.merge.values.forbidden_character`), for ``render`` and
``check`` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lettergen.errors import LettergenError
from lettergen.inputs.recipients import Record
from lettergen.merge.values import field_holding, forbidden_character
from lettergen.templating.environment import RENDER_ERRORS
from lettergen.templating.word.escaping import ForbiddenCharacterError
from lettergen.templating.word.template import WordTemplate
from lettergen.templating.word.values import sidecar

_T = TypeVar("_T")


class WordParts:
    """The parts of one letter from a Word template, rendered when first asked for."""

    __slots__ = ("_parts", "context", "record", "template")

    def __init__(self, template: WordTemplate, record: Record, context: Mapping[str, Any]):
        self.template = template
        self.record = record
        self.context = context
        self._parts: dict[str, str] | None = None

    def parts(self) -> dict[str, str]:
        """Return the XML of each templated part (name in the package -> XML)."""
        if self._parts is None:
            self._parts = self._rendering(lambda: self.template.render_parts(self.context))
        return self._parts

    def body(self, number: int) -> str:
        """Return the document's body XML, as the ``number``-th letter of a combined one."""
        return self._rendering(lambda: self.template.render_body(self.context, number))

    def printed_clean(self) -> bool:
        """Whether the letter's plain text printed the same values, none of them forbidden."""
        return self.template.printed_clean(self.context)

    def _rendering(self, render: Callable[[], _T]) -> _T:
        """Run ``render``; an error names the record, and the field holding a bad character."""
        template, record = self.template, self.record
        try:
            return render()
        except ForbiddenCharacterError as exc:
            if field_holding(self.context, exc.char) is None:
                raise _with_record(template.explain(exc), record.id) from None
            raise forbidden_character(
                record,
                self.context,
                exc.char,
                template=template.path,
                values=sidecar(template.path),
            ) from None
        except RENDER_ERRORS as exc:
            raise _with_record(template.explain(exc), record.id) from None


def _with_record(error: LettergenError, record: str) -> LettergenError:
    """Return ``error`` naming the record it happened for."""
    error.record = record
    return error
