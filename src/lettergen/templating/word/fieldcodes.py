"""Word field instructions read as Word reads them: ``MERGEFIELD "First Name" \\* Upper``.

A field's instruction is text (``w:instrText`` runs, or a ``w:fldSimple``'s ``w:instr``) in
which other fields may sit, as in ``IF { MERGEFIELD Gender } = "F" "Madam" "Sir"``. Word splits
it into words at spaces; a quoted text is one word (``\\"`` and ``\\\\`` stand for a quote and
a backslash), a nested field belongs to the word it sits in, and a comparison operator is a word
of its own. Switches (``\\b``, ``\\*``, ``\\@`` ...) are words starting with a backslash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The comparison operators of an IF field, longest first.
OPERATORS = ("<=", ">=", "<>", "=", "<", ">")
_OPERATOR = re.compile("|".join(re.escape(op) for op in OPERATORS))


@dataclass
class Field:
    """One field: its instruction as pieces of text and nested fields."""

    pieces: list[str | Field] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        if self.pieces and isinstance(self.pieces[-1], str):
            self.pieces[-1] += text
        else:
            self.pieces.append(text)

    @property
    def code(self) -> str:
        """The instruction as Word shows it with Alt+F9, nested fields in braces."""
        return "".join(p if isinstance(p, str) else "{" + p.code + "}" for p in self.pieces)

    @property
    def kind(self) -> str:
        """The field's type in capitals (``MERGEFIELD``, ``IF``, ``PAGE``), or ``""``."""
        words = words_of(self)
        first = words[0].parts if words else []
        return first[0].upper() if len(first) == 1 and isinstance(first[0], str) else ""

    def nested(self) -> list[Field]:
        """Every field inside this one, at any depth."""
        found = []
        for piece in self.pieces:
            if isinstance(piece, Field):
                found.append(piece)
                found.extend(piece.nested())
        return found


@dataclass
class Word:
    """One word of an instruction: text and nested fields, quoted or not."""

    parts: list[str | Field] = field(default_factory=list)
    quoted: bool = False

    @property
    def text(self) -> str | None:
        """The word's text, or None if a field sits in it."""
        if all(isinstance(p, str) for p in self.parts):
            return "".join(p for p in self.parts if isinstance(p, str))
        return None

    @property
    def code(self) -> str:
        inner = "".join(p if isinstance(p, str) else "{" + p.code + "}" for p in self.parts)
        return f'"{inner}"' if self.quoted else inner

    def is_switch(self) -> bool:
        text = self.text
        return not self.quoted and text is not None and text.startswith("\\") and len(text) > 1

    def is_operator(self) -> bool:
        return not self.quoted and self.text in OPERATORS


def words_of(instruction: Field) -> list[Word]:
    """Split a field's instruction into its words (see the module)."""
    words: list[Word] = []
    current: Word | None = None
    quoted = False

    def add(part: str | Field) -> None:
        nonlocal current
        if current is None:
            current = Word(quoted=quoted)
            words.append(current)
        if isinstance(part, str) and current.parts and isinstance(current.parts[-1], str):
            current.parts[-1] += part
        else:
            current.parts.append(part)

    def finish() -> None:
        nonlocal current
        current = None

    for piece in instruction.pieces:
        if isinstance(piece, Field):
            add(piece)
            continue
        pos = 0
        while pos < len(piece):
            char = piece[pos]
            if char == "\\" and pos + 1 < len(piece) and piece[pos + 1] in '"\\':
                if quoted:
                    add(piece[pos + 1])
                    pos += 2
                    continue
                # Outside quotes a backslash starts a switch (\b, \*); "\\" is a backslash.
                if piece[pos + 1] == "\\":
                    add("\\")
                    pos += 2
                    continue
            if char == '"':
                if quoted:
                    if current is None:  # "" is an empty text, a word all the same
                        words.append(Word(quoted=True))
                    finish()
                    quoted = False
                else:
                    finish()
                    quoted = True
                pos += 1
                continue
            if not quoted and char.isspace():
                finish()
                pos += 1
                continue
            if not quoted:
                match = _OPERATOR.match(piece, pos)
                if match is not None:
                    finish()
                    words.append(Word([match.group()]))
                    pos = match.end()
                    continue
            add(char)
            pos += 1
    return words


def parse_instruction(text: str) -> Field:
    """Return a simple field's instruction (a ``w:fldSimple``'s ``w:instr``) as a Field."""
    return Field([text])
