"""Helpers for the DOCX tests: read a letter back as text, make a signature image."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any


def docx_text(path: Path) -> str:
    """Return the text letter a DOCX stands for, read with python-docx.

    Each paragraph is a block of lines (a line break is a newline); one blank line separates
    two blocks, and every empty paragraph stands for one more blank line.
    """
    import docx

    return paragraphs_text(docx.Document(str(path)).paragraphs)


def paragraphs_text(paragraphs: Any) -> str:
    """Return the text of python-docx ``paragraphs`` by the rule of :func:`docx_text`."""
    lines: list[str] = []
    seen = False
    for paragraph in paragraphs:
        if not paragraph.text:
            lines.append("")
            continue
        if seen:
            lines.append("")
        lines.extend(paragraph.text.split("\n"))
        seen = True
    return "\n".join(lines) + "\n"


def png(width: int, height: int) -> bytes:
    """Return a small PNG: a black diagonal stroke on white."""
    rows = b"".join(
        b"\0"
        + b"".join(
            b"\0\0\0" if abs(x * height - y * width) < width else b"\xff\xff\xff"
            for x in range(width)
        )
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
