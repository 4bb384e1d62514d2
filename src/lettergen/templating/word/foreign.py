"""Word documents written for another merge tool, refused instead of copied unmerged.

A docxtemplater document (``{FirstName}``, ``{#items}...{/items}``) would go out with its tags
printed, and a document with no field lettergen knows would give every recipient the same
letter. Both are errors that say what the document uses and how to write it for lettergen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jinja2 import meta

from lettergen.errors import TemplateError
from lettergen.templating.environment import LetterTemplate

# docxtemplater's tags: {name}, {#loop}, {/loop}, {^inverted}, {@raw}, {%image}, {-w:p loop}.
# A Jinja tag ({{ x }}, {% if %}, {# note #}) never matches: its brace is doubled or its
# body does not end at a single closing brace; nor does docxtpl's {_{ x }_} (braces to print).
_DOCXTEMPLATER = re.compile(r"(?<![{_])\{([#/^@%]|-[\w:]+ )?\s*([A-Za-z_$][\w.$]*)\s*\}(?![}_])")
# Other tools' placeholders, for the message about a document with no field at all.
_OTHER_SYNTAXES = (
    (re.compile(r"«([^«»\s][^«»]{0,40})»"), "Word's merge-field display text '«{}»' typed as text"),
    (re.compile(r"<<\s*([A-Za-z_][\w .]{0,40}?)\s*>>"), "the placeholder '<<{}>>'"),
    (re.compile(r"\$\{\s*([A-Za-z_][\w.]*)\s*\}"), "the placeholder '${{{}}}'"),
    (re.compile(r"\[\[\s*([A-Za-z_][\w .]*?)\s*\]\]"), "the placeholder '[[{}]]'"),
    (re.compile(r"%([A-Za-z_][\w]*)%"), "the placeholder '%{}%'"),
)


def refuse_foreign_tags(text: str, fail: Callable[[str], TemplateError]) -> None:
    """Refuse a paragraph's text holding docxtemplater's tags (``fail`` names the paragraph)."""
    match = _DOCXTEMPLATER.search(text)
    if match is None:
        return
    kind, name = match.group(1) or "", match.group(2)
    if kind in ("#", "/", "^") or kind.startswith("-"):
        instead = (
            f"{{% for item in recipient.{name} %}} ... {{% endfor %}} for a loop, "
            f"{{% if recipient.{name} %}} ... {{% endif %}} for a condition"
            if kind != "^"
            else f"{{% if not recipient.{name} %}} ... {{% endif %}}"
        )
    else:
        instead = f"{{{{ recipient.{name} }}}}"
    raise fail(
        f"'{match.group()}' is docxtemplater's tag syntax, which lettergen does not read: "
        f"write {instead} (lettergen's tags are Jinja's, with the record's fields under "
        "'recipient.'), or insert Word merge fields (Mailings > Insert Merge Field)"
    )


# The names every letter defines besides the record's (see templating.environment.context_for).
_LETTER_NAMES = frozenset({"sender", "letter", "date"})


def refuse_impersonal(template: LetterTemplate) -> None:
    """Refuse a (Word) template that uses no field of the records.

    Every letter would be the same: the document is meant for another tool, or its tags name
    the record's fields without ``recipient.``. (``recipient | salutation`` counts as a use, and
    so does a bare name no letter defines, ``{{ title }}``: with ``names: bare`` it is a field,
    without it each letter's error says which field it means.)
    """
    source = template.source
    tree = template.env.parse(source)
    names = meta.find_undeclared_variables(tree)
    if "recipient" in names or names - _LETTER_NAMES - set(template.env.globals):
        return
    used = sorted(template.fields())
    found = []
    for pattern, description in _OTHER_SYNTAXES:
        match = pattern.search(source)
        if match is not None:
            found.append(description.format(match.group(1)))
    if found:
        uses = "it uses " + " and ".join(found) + ", which lettergen does not read"
    elif used:
        uses = "its tags name only " + ", ".join(used)
    elif "{{" in source or "{%" in source:
        uses = "its tags name no field of the records"
    else:
        uses = "it holds no merge field and no lettergen tag"
    raise TemplateError(
        f"{uses}, so every letter would be the same: write the record's fields as "
        "{{ recipient.name }} (a field under 'recipient.'), or insert Word merge fields "
        "(Mailings > Insert Merge Field)",
        path=template.path,
    )
