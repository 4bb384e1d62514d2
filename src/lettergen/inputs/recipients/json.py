"""JSON recipient lists, decoded one record at a time from a sliding buffer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lettergen.errors import RecipientsError
from lettergen.inputs.nesting import MAX_DEPTH, TOO_DEEP, too_deep
from lettergen.inputs.recipients.encoding import (
    decode_error,
    text_stream,
)

_JSON_CHUNK = 1 << 16
_JSON_SPACE = " \t\r\n"
# What nests in JSON text: brackets, and strings (whose brackets do not).
_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class _JsonStream:
    """JSON text read in chunks: values are decoded one at a time from a sliding buffer."""

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.stream = stream
        self.path = path
        self.text = ""
        self.pos = 0
        # Lines are counted as the reading moves on: text[counted] is on line ``line``.
        self.line = 1
        self.counted = 0
        self.done = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        """Read another chunk, dropping what was consumed; return False at the end."""
        if self.done:
            return False
        chunk = self.stream.read(_JSON_CHUNK)
        if not chunk:
            self.done = True
            return False
        self.line_at(self.pos)
        self.text = self.text[self.pos :] + chunk
        self.pos = self.counted = 0
        return True

    def line_at(self, pos: int) -> int:
        """Return the file line of ``text[pos]`` (``pos`` never behind an earlier call's)."""
        self.line += self.text.count("\n", self.counted, pos)
        self.counted = pos
        return self.line

    def peek(self) -> str:
        """Skip white space; return the next character ("" at the end)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _JSON_SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        """Consume the next character, which must be one of ``chars``."""
        char = self.peek()
        if not char or char not in chars:
            raise self.error(f"Expecting {what}")
        self.pos += 1
        return char

    def value(self) -> tuple[int, Any]:
        """Decode the next value; return its line and the value."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.text, self.pos)
            except RecursionError:  # the decoder recurses once a level: far too deep
                raise self.too_deep() from None
            except json.JSONDecodeError as exc:
                # The value may only be cut off by the end of the buffer: read on and retry.
                if self._more():
                    continue
                raise RecipientsError(
                    f"invalid JSON: {exc.msg}", path=self.path, line=self.line_at(exc.pos)
                ) from None
            # A number at the buffer's end may go on in the next chunk ("12" then "34").
            if end == len(self.text) and not self.done and self._more():
                continue
            # Fewer brackets than levels allowed cannot nest too deep (most records).
            brackets = self.text.count("[", self.pos, end) + self.text.count("{", self.pos, end)
            if brackets > MAX_DEPTH and too_deep(value):
                raise self.too_deep()
            line = self.line_at(self.pos)
            self.pos = end
            return line, value

    def too_deep(self) -> RecipientsError:
        """Return the error for the value at ``pos``, which nests too deep, at the line where
        it goes past the limit."""
        depth = 0
        for match in _JSON_NESTING.finditer(self.text, self.pos):
            char = match.group()
            if char in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return RecipientsError(
                        TOO_DEEP, path=self.path, line=self.line_at(match.start())
                    )
            elif char in "]}":
                depth -= 1
        return RecipientsError(TOO_DEEP, path=self.path, line=self.line_at(self.pos))

    def error(self, message: str) -> RecipientsError:
        """Return an "invalid JSON" error at the current position."""
        return RecipientsError(
            f"invalid JSON: {message}", path=self.path, line=self.line_at(self.pos)
        )


def json_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a JSON array (or ``{"recipients": [...]}``).

    The file is read in chunks and each record decoded on its own, so a long list never sits
    in memory at once.
    """
    with text_stream(path, encoding) as stream:
        try:
            yield from _json_records(_JsonStream(stream, path))
        except UnicodeDecodeError:
            raise decode_error(path, stream.encoding, encoding) from None


def _json_records(json_text: _JsonStream) -> Iterator[tuple[int, Any]]:
    first = json_text.peek()
    if first == "[":
        yield from _json_items(json_text)
    elif first == "{":
        found = False
        json_text.pos += 1
        if json_text.peek() == "}":
            json_text.pos += 1
        else:
            while True:
                _, key = json_text.value()
                if not isinstance(key, str):
                    raise json_text.error("Expecting property name enclosed in double quotes")
                json_text.expect(":", "':' delimiter")
                if key == "recipients" and json_text.peek() == "[":
                    found = True
                    yield from _json_items(json_text)
                else:
                    json_text.value()  # another key of the file: not a record
                if json_text.expect(",}", "',' delimiter") == "}":
                    break
        if not found:
            raise RecipientsError(
                'expected a list of recipients, or an object with a "recipients" list',
                path=json_text.path,
            )
    elif first == "":
        raise json_text.error("Expecting value")
    else:
        json_text.value()  # a syntax error is reported as such
        raise RecipientsError(
            'expected a list of recipients, or an object with a "recipients" list',
            path=json_text.path,
        )
    if json_text.peek():
        raise json_text.error("Extra data")


def _json_items(json_text: _JsonStream) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for the items of the array that opens at the next character."""
    json_text.pos += 1
    if json_text.peek() == "]":
        json_text.pos += 1
        return
    while True:
        yield json_text.value()
        if json_text.expect(",]", "',' delimiter") == "]":
            return
