"""What each Word mail-merge field becomes in lettergen's Jinja: ``{{ recipient.FirstName }}``.

``MERGEFIELD Name`` prints the record's field ``Name`` (after the field mapping, ``fields:`` /
``--map``, exactly as a spreadsheet column of that name would be renamed), its switches through
the ``merge_format`` filter; ``IF`` becomes an inline ``{% if %}``; ``GREETINGLINE`` the
recipient's salutation; ``ADDRESSBLOCK`` their address, formatted for their country by the
letters' own ``address_block`` filter. Fields that only make sense while Word merges
(``NEXT``, ``SKIPIF``, ``ASK``, ...) are refused, naming the field and what to do instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from lettergen.errors import LettergenError, TemplateError, ignore_warning
from lettergen.inputs.recipients.columns import table_keys
from lettergen.templating.word.fieldcodes import Field, Word, words_of
from lettergen.templating.word.tags import literal

# Fields whose meaning comes from the records being merged.
MERGE_KINDS = frozenset(
    {
        "MERGEFIELD",
        "GREETINGLINE",
        "ADDRESSBLOCK",
        "NEXT",
        "NEXTIF",
        "SKIPIF",
        "ASK",
        "FILLIN",
        "MERGEREC",
        "MERGESEQ",
    }
)

# The fields lettergen refuses, and what to do instead.
_REFUSED = {
    "NEXT": "puts the next record in the same document; lettergen writes one letter per "
    "record: remove the field",
    "NEXTIF": "chooses records while Word merges; lettergen chooses them before: remove the "
    "field and use --where (or 'where:' in lettergen.yaml)",
    "SKIPIF": "chooses records while Word merges; lettergen chooses them before: remove the "
    "field and use --where (or 'where:' in lettergen.yaml)",
    "ASK": "asks whoever merges for a value; lettergen asks nobody: remove the field and type "
    "the value into the document, or put it in a column of the records and use a MERGEFIELD",
    "FILLIN": "asks whoever merges for a value; lettergen asks nobody: remove the field and "
    "type the value into the document, or put it in a column of the records and use a "
    "MERGEFIELD",
    "MERGEREC": "prints Word's record number, which lettergen does not have: remove the field",
    "MERGESEQ": "prints Word's record number, which lettergen does not have: remove the field",
}

_CASES = {"upper": "Upper", "lower": "Lower", "caps": "Caps", "firstcap": "FirstCap"}
_IGNORED_FORMATS = {"mergeformat", "charformat"}
# Word date picture letters that need a time of day, which a record's date does not have.
_TIME_LETTERS = frozenset("hHmsAaPp")
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "if", "else", "true", "false", "none"})
_KEYWORDS |= {k.capitalize() for k in _KEYWORDS}
_SMART_QUOTES = re.compile("[‘’“”]")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def is_merge_field(field: Field) -> bool:
    """Tell whether a field (or one inside it) takes its value from the records."""
    return field.kind in MERGE_KINDS or any(f.kind in MERGE_KINDS for f in field.nested())


def jinja_string(text: str) -> str:
    """Return a Jinja string literal for ``text``.

    Typographic quotes are escaped: in a Word template they would be read as plain ones.
    """
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    body = _SMART_QUOTES.sub(lambda m: f"\\u{ord(m.group()):04x}", body)
    return f'"{body}"'


class MergeCode:
    """Turns the merge fields of one Word template into Jinja source.

    ``fail`` makes the error for a field that cannot be merged (naming the paragraph).
    """

    def __init__(
        self, path: Path, field_map: Mapping[str, str], fail: Callable[[str], TemplateError]
    ) -> None:
        self.path = path
        self.field_map = field_map
        self.fail = fail

    # -- fields printed as text ---------------------------------------------------------------

    def text(self, field: Field) -> str:
        """Return the Jinja source that prints ``field``'s result in a letter."""
        kind = field.kind
        if kind == "MERGEFIELD":
            value, printed = self._merge_field(field)
            if "before=" in printed or "after=" in printed:
                # Word prints \b and \f texts only around a value: an empty one is expected.
                return "{% if " + value + " %}{{ " + printed + " }}{% endif %}"
            return "{{ " + printed + " }}"
        if kind == "IF":
            return self._if(field)
        if kind == "GREETINGLINE":
            return "{{ recipient | salutation }}"
        if kind == "ADDRESSBLOCK":
            # The same lines as the letters' and envelopes' address (templating/addresses.py).
            return "{{ recipient | address_block }}"
        if kind in _REFUSED:
            raise self.fail(f"the Word field {kind} ({field.code.strip()}) {_REFUSED[kind]}")
        raise self.fail(
            f"the Word field {kind or field.code.strip()!r} sits in a merge field "
            f"({field.code.strip()}); lettergen merges MERGEFIELD, IF, GREETINGLINE and "
            "ADDRESSBLOCK only: replace it by its text"
        )

    def _words_text(self, parts: list[str | Field]) -> str:
        """Return the Jinja source printing a quoted text of an IF field (fields and all)."""
        return "".join(literal(p) if isinstance(p, str) else self.text(p) for p in parts)

    # -- MERGEFIELD -----------------------------------------------------------------------------

    def _merge_field(self, field: Field) -> tuple[str, str]:
        """Return the Jinja expressions of a MERGEFIELD's value, and of it with its switches
        applied."""
        words = words_of(field)[1:]
        if not words or words[0].is_switch() or words[0].text is None:
            raise self.fail(f"the field {{{field.code.strip()}}} names no field of the records")
        name = (words[0].text or "").strip()
        value = self._value(name, field)
        options: dict[str, str] = {}
        rest = words[1:]
        index = 0
        while index < len(rest):
            word = rest[index]
            if not word.is_switch():
                raise self.fail(
                    f"the field {{{field.code.strip()}}}: '{word.code}' is neither a switch "
                    "nor part of one; a field name with spaces goes in quotes"
                )
            switch = (word.text or "")[:2].lower()
            argument: Word | None = None
            if len(word.text or "") > 2:
                argument = Word([(word.text or "")[2:]])
            elif switch[1] in "bf*@#" and index + 1 < len(rest):
                argument = rest[index + 1]
                index += 1
            index += 1
            if switch in ("\\m", "\\v"):
                continue  # Word's "mapped field" and vertical text: no change to the text
            if argument is None or argument.text is None:
                raise self.fail(
                    f"the field {{{field.code.strip()}}}: the switch {switch} needs a text "
                    "after it (in quotes)"
                )
            self._switch(switch, argument.text, options, field)
        if not options:
            return value, value
        arguments = ", ".join(f"{key}={jinja_string(text)}" for key, text in options.items())
        return value, f"{value} | merge_format({arguments})"

    def _switch(self, switch: str, argument: str, options: dict[str, str], field: Field) -> None:
        if switch == "\\b":
            options["before"] = argument
        elif switch == "\\f":
            options["after"] = argument
        elif switch == "\\*":
            word = argument.strip().lower()
            if word in _IGNORED_FORMATS:
                return
            if word not in _CASES:
                raise self.fail(
                    f"the field {{{field.code.strip()}}}: the format \\* {argument.strip()} is "
                    "not one lettergen knows (it knows Upper, Lower, Caps, FirstCap and "
                    "MERGEFORMAT); remove the switch"
                )
            # Cases apply in order: "\* Lower \* Caps" makes "ANNA BERG" "Anna Berg".
            options["case"] = " ".join([*options.get("case", "").split(), _CASES[word]])
        elif switch == "\\@":
            options["date"] = self._date_pattern(argument, field)
        elif switch == "\\#":
            if "x" in argument.lower().replace("'", ""):
                raise self.fail(
                    f"the field {{{field.code.strip()}}}: the number picture '{argument}' "
                    "drops digits with 'x', which lettergen does not do; use 0, # , and ."
                )
            options["number"] = argument
        else:
            raise self.fail(
                f"the field {{{field.code.strip()}}}: the switch {switch} is not one lettergen "
                "knows (\\b, \\f, \\*, \\@, \\#); remove it"
            )

    def _date_pattern(self, picture: str, field: Field) -> str:
        """Return the Babel pattern of a Word date picture (``dddd d MMMM yyyy``)."""
        out: list[str] = []
        pos = 0
        while pos < len(picture):
            char = picture[pos]
            if char == "'":
                end = picture.find("'", pos + 1)
                end = len(picture) if end < 0 else end
                out.append("'" + picture[pos + 1 : end] + "'" if end > pos + 1 else "''")
                pos = end + 1
                continue
            run = len(picture) - pos - len(picture[pos:].lstrip(char))
            if char in _TIME_LETTERS:
                raise self.fail(
                    f"the field {{{field.code.strip()}}}: the date picture '{picture}' shows a "
                    "time of day; lettergen prints dates only (d, M and y)"
                )
            if char == "d":
                out.append({1: "d", 2: "dd", 3: "EEE"}.get(run, "EEEE"))
            elif char == "M":
                out.append("M" * min(run, 4))
            elif char == "y":
                out.append("yy" if run <= 2 else "yyyy")
            elif char.isalpha():
                out.append("'" + char * run + "'")
            else:
                out.append(char * run)
            pos += run
        return "".join(out)

    def _value(self, name: str, field: Field) -> str:
        """Return the Jinja expression of the record's field ``name``, mapped as a column."""
        try:
            (key,) = table_keys([name], self.path, 1, self.field_map, ignore_warning)
        except LettergenError as error:
            raise self.fail(f"the field {{{field.code.strip()}}}: {error.message}") from None
        expression = "recipient"
        for part in key.split("."):
            if part.isidentifier() and part not in _KEYWORDS:
                expression += "." + part
            else:
                expression += f"[{jinja_string(part)}]"
        return expression

    # -- IF -------------------------------------------------------------------------------------

    def _if(self, field: Field) -> str:
        words = words_of(field)[1:]
        code = field.code.strip()
        if len(words) < 4 or not words[1].is_operator():
            raise self.fail(
                f'the field {{{code}}} is not \'IF value operator value "if true" "if false"\''
                "; lettergen merges IF fields that compare a merge field with a value"
            )
        left, operator, right, *texts = words
        if len(texts) > 2:
            raise self.fail(
                f"the field {{{code}}} has more than two texts after its comparison; put each "
                "text in quotes"
            )
        condition = (
            f"{self._operand(left, code)} | merge_compare("
            f"{jinja_string(operator.text or '')}, {self._operand(right, code)})"
        )
        true = self._words_text(texts[0].parts)
        false = self._words_text(texts[1].parts) if len(texts) > 1 else ""
        otherwise = "{% else %}" + false if false else ""
        return "{% if " + condition + " %}" + true + otherwise + "{% endif %}"

    def _operand(self, word: Word, code: str) -> str:
        """Return the Jinja expression of one side of an IF comparison."""
        items: list[str] = []
        for part in word.parts:
            if isinstance(part, str):
                items.append(jinja_string(part))
            elif part.kind == "MERGEFIELD":
                value, printed = self._merge_field(part)
                items.append(value if printed == value else f"({printed})")
            else:
                raise self.fail(
                    f"the field {{{code}}} compares a {part.kind or 'field'} field; lettergen "
                    "compares merge fields (MERGEFIELD) and texts only"
                )
        if not items:
            return jinja_string("")
        text = word.text
        if text is not None and not word.quoted and not _NUMBER.fullmatch(text):
            raise self.fail(
                f"the field {{{code}}} compares '{text}', which is neither a merge field nor a "
                "quoted text (Word would read a bookmark of that name): insert the merge field "
                "or put the text in quotes"
            )
        return items[0] if len(items) == 1 else "(" + " ~ ".join(items) + ")"
