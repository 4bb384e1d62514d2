"""How a recipients file is decoded: the encoding given, its byte order mark, or a guess."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.record import (
    Warn,
)
from lettergen.inputs.textfiles import read_bytes, undecodable


@contextmanager
def text_stream(
    path: Path, encoding: str | None, newline: str | None = None
) -> Iterator[io.TextIOWrapper]:
    """Open ``path`` as text in ``encoding``, or in the encoding its byte order mark names."""
    try:
        handle = path.open("rb")
    except OSError:
        read_bytes(path, RecipientsError)  # raises the right message
        raise
    with handle:
        codec = encoding or _bom_codec(handle)
        try:
            stream = io.TextIOWrapper(handle, encoding=codec, newline=newline)
        except LookupError:
            raise RecipientsError(f"unknown encoding '{encoding}'", path=path) from None
        yield stream


def decode_error(path: Path, codec: str, encoding: str | None) -> RecipientsError:
    """Return the error for a YAML or JSON file with a byte ``codec`` cannot decode."""
    bad = find_bad_byte(path, codec)
    line, byte = bad if bad is not None else (None, "??")
    if encoding or codec == "utf-8-sig":
        return RecipientsError(undecodable(byte, encoding), path=path, line=line)
    name = f"{_ENCODING_NAMES.get(codec, codec)} (from its byte order mark)"
    hint = "name the file's encoding with --encoding"
    return RecipientsError(f"cannot decode byte 0x{byte} as {name}; {hint}", path=path, line=line)


# What a message calls an encoding the user did not name.
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a text file is decoded, and why (for messages)."""

    codec: str
    given: bool = False
    reason: str = ""

    def describe(self) -> str:
        """Name the encoding as a message shows it."""
        if self.given:
            return self.codec
        name = _ENCODING_NAMES.get(self.codec, self.codec)
        return f"{name} ({self.reason})" if self.reason else name


def _bom_codec(handle: io.BufferedReader) -> str:
    """Return the Unicode codec a file's byte order mark names (UTF-8 when it has none)."""
    head = handle.peek(4)[:4]
    # UTF-32's little-endian BOM starts with UTF-16's, so it is tried first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def detect_encoding(path: Path, encoding: str | None, warn: Warn) -> Encoding:
    """Return the encoding of a text table: the one given, else from its BOM, else guessed.

    Without a byte order mark, a file that decodes as UTF-8 is UTF-8 (text in any other common
    encoding almost never does); one that does not is taken for Windows-1252, which Excel uses
    for "CSV" in Western Europe, with a warning naming the first non-UTF-8 byte. The UTF-8
    trial streams through the file, so it costs time, never memory.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RecipientsError(f"unknown encoding '{encoding}'", path=path) from None
        return Encoding(encoding, given=True)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        read_bytes(path, RecipientsError)  # raises the right message
        raise
    # UTF-32's little-endian BOM starts with UTF-16's, so it is tried first.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Encoding("utf-32", reason="from its byte order mark")
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", reason="from its byte order mark")
    if head.count(0) * 4 >= len(head) > 0:
        # Text tables never hold NUL characters; many NUL bytes are UTF-16 without a BOM.
        odd = head[1::2].count(0)
        codec = "utf-16-le" if odd >= head[0::2].count(0) else "utf-16-be"
        return Encoding(codec, reason="guessed from its NUL bytes")
    bad = find_bad_byte(path, "utf-8")
    if bad is None:
        return Encoding("utf-8")
    line, byte = bad
    warn(
        f"{path}:{line}: warning: not UTF-8 (byte 0x{byte}); read as Windows-1252; "
        "if letters show wrong accents, name the encoding with --encoding"
    )
    return Encoding("cp1252", reason="guessed, as the file is not UTF-8")


def find_bad_byte(path: Path, codec: str) -> tuple[int, str] | None:
    """Return the line and hex value of the first byte ``codec`` cannot decode, or None.

    Reads the file in chunks, so a file of any size takes little memory.
    """
    decoder = codecs.getincrementaldecoder(codec)()
    lines = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object holds the bytes being decoded, including any held over.
                good = exc.object[: exc.start]
                lines += _newlines(good, exc.encoding)
                return lines + 1, exc.object[exc.start : exc.start + 1].hex()
            lines += text.count("\n")
            if not chunk:
                return None


def _newlines(data: bytes, codec: str) -> int:
    """Count the line feeds in ``data``, bytes that decode without error in ``codec``."""
    if codec.replace("_", "-").lower().startswith(("utf-16", "utf-32")):
        return codecs.decode(data, codec, "replace").count("\n")
    return data.count(b"\n")
