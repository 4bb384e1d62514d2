"""A small zip writer for Word documents: unchanged members are copied as compressed bytes.

A ``.docx`` is a zip of XML parts. Between two letters on one letterhead only
``word/document.xml`` differs, so the other members are read once, kept deflated, and their raw
bytes are copied into every letter: per letter only one member is compressed. The standard
library's :mod:`zipfile` cannot copy a member without inflating and deflating it again.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from lettergen.packages import Package

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_END_SIG = b"PK\x05\x06"
# 1980-01-01 00:00: a fixed timestamp, so that one letter rendered twice gives the same bytes.
_DOS_TIME = 0
_DOS_DATE = (0 << 9) | (1 << 5) | 1
_VERSION = 20
_UTF8_NAME = 0x800
# Level 6 (zlib's default) costs twice level 1 for a few percent smaller letters.
LEVEL = 1


@dataclass(frozen=True, slots=True)
class Member:
    """One stored member: its name and its data, already compressed (or stored)."""

    name: str
    method: int
    crc: int
    size: int
    data: bytes

    @classmethod
    def deflate(cls, name: str, content: bytes, level: int = LEVEL) -> Member:
        """Return a member holding ``content`` deflated."""
        return cls(
            name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content), deflate(content, level)
        )

    def content(self) -> bytes:
        """Return the member's uncompressed bytes."""
        if self.method == zipfile.ZIP_STORED:
            return self.data
        return zlib.decompress(self.data, -15)


# Up to this size, content is deflated with a small window and hash table (see deflate).
SMALL = 8 * 1024


def deflate(content: bytes, level: int = LEVEL) -> bytes:
    """Return ``content`` as a raw deflate stream (no zlib header), as zip stores it."""
    if len(content) <= SMALL:
        # A letter's document is a few kilobytes. zlib's default 32 KB window and its hash
        # table take longer to set up than such a document takes to deflate: with an 8 KB
        # window (all the document) and a smaller table it takes a third of the time (33 us
        # against 99 us here for the sample letter), for the same bytes out. Any inflater
        # reads the stream: a window smaller than 32 KB is always allowed.
        compressor = zlib.compressobj(level, zlib.DEFLATED, -13, 6)
        return compressor.compress(content) + compressor.flush()
    return zlib.compress(content, level, -15)


def read_members(data: bytes) -> list[Member]:
    """Return the members of the zip archive ``data`` with their compressed bytes.

    Raises :class:`zipfile.BadZipFile` (or :class:`ValueError`) when ``data`` is no plain zip
    of stored or deflated members.
    """
    members: list[Member] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ValueError(f"member {info.filename} uses an unsupported compression")
            if info.flag_bits & 0x1:
                raise ValueError(f"member {info.filename} is encrypted")
            start = info.header_offset
            header = _LOCAL.unpack_from(data, start)
            if header[0] != _LOCAL_SIG:
                raise zipfile.BadZipFile(f"bad local header for {info.filename}")
            begin = start + _LOCAL.size + header[9] + header[10]
            raw = data[begin : begin + info.compress_size]
            members.append(Member(info.filename, info.compress_type, info.CRC, info.file_size, raw))
    return members


def package_members(package: Package) -> list[Member]:
    """Return the members of a Word document opened and checked by :mod:`lettergen.packages`.

    Members are copied as their compressed bytes, which the package checked against their
    checksums once, when it was opened; the parts it rewrote are deflated anew.
    """
    if package.data is None:  # pragma: no cover - documents are opened from their bytes
        raise ValueError("a package opened from a path cannot be copied")
    changed = package.changed
    return [
        Member.deflate(m.name, changed[m.name]) if m.name in changed else m
        for m in read_members(package.data)
    ]


def _flags(name: bytes, text: str) -> int:
    return _UTF8_NAME if len(name) != len(text) else 0


def _local_header(member: Member, name: bytes) -> bytes:
    return _LOCAL.pack(
        _LOCAL_SIG,
        _VERSION,
        _flags(name, member.name),
        member.method,
        _DOS_TIME,
        _DOS_DATE,
        member.crc,
        len(member.data),
        member.size,
        len(name),
        0,
    )


def _central_header(member: Member, name: bytes, offset: int) -> bytes:
    return _CENTRAL.pack(
        _CENTRAL_SIG,
        _VERSION,
        _VERSION,
        _flags(name, member.name),
        member.method,
        _DOS_TIME,
        _DOS_DATE,
        member.crc,
        len(member.data),
        member.size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )


def _end_record(count: int, central_size: int, central_offset: int) -> bytes:
    return _END.pack(_END_SIG, 0, 0, count, count, central_size, central_offset, 0)


class Archive:
    """A zip whose fixed members are laid out once; :meth:`build` adds the last one per call."""

    def __init__(self, members: Iterable[Member]) -> None:
        local = bytearray()
        central = bytearray()
        self.count = 0
        for member in members:
            name = member.name.encode("utf-8")
            central += _central_header(member, name, len(local)) + name
            local += _local_header(member, name) + name + member.data
            self.count += 1
        self.local = bytes(local)
        self.central = bytes(central)

    def to_bytes(self) -> bytes:
        """Return the archive of the fixed members alone."""
        end = _end_record(self.count, len(self.central), len(self.local))
        return b"".join((self.local, self.central, end))

    def build(self, name: str, content: bytes) -> bytes:
        """Return the whole archive with ``content`` deflated as member ``name`` at the end."""
        member = Member.deflate(name, content)
        raw_name = name.encode("utf-8")
        offset = len(self.local)
        local = _local_header(member, raw_name) + raw_name
        central = self.central + _central_header(member, raw_name, offset) + raw_name
        central_offset = offset + len(local) + len(member.data)
        end = _end_record(self.count + 1, len(central), central_offset)
        return b"".join((self.local, local, member.data, central, end))

    def stream(self, handle: BinaryIO, name: str) -> StreamedMember:
        """Write the fixed members to ``handle`` and start member ``name``, to be written in parts.

        ``handle`` must be seekable: the member's header is filled in when it is finished.
        """
        handle.write(self.local)
        return StreamedMember(self, handle, name)


class StreamedMember:
    """The last member of an archive, deflated as it is written (a combined document)."""

    def __init__(self, archive: Archive, handle: BinaryIO, name: str) -> None:
        self.archive = archive
        self.handle = handle
        self.name = name
        self.raw_name = name.encode("utf-8")
        self.offset = len(archive.local)
        self.crc = 0
        self.size = 0
        self.compressed = 0
        self.compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        # A placeholder header; :meth:`close` writes the real one once sizes are known.
        handle.write(b"\0" * (_LOCAL.size + len(self.raw_name)))

    def write(self, content: bytes) -> None:
        """Append ``content`` to the member."""
        self.crc = zlib.crc32(content, self.crc)
        self.size += len(content)
        self._out(self.compressor.compress(content))

    def _out(self, data: bytes) -> None:
        self.compressed += len(data)
        self.handle.write(data)

    def close(self) -> None:
        """Finish the member, write the central directory and fill in the member's header."""
        self._out(self.compressor.flush())
        if self.size >= 0xFFFFFFFF or self.compressed >= 0xFFFFFFFF:
            raise ValueError("a combined document over 4 GB is not supported")
        member = Member(self.name, zipfile.ZIP_DEFLATED, self.crc, self.size, b"")
        header = _local_header(member, self.raw_name)
        # _local_header took the compressed size from data; set it from what was written.
        header = header[:18] + struct.pack("<L", self.compressed) + header[22:]
        central_entry = _central_header(member, self.raw_name, self.offset)
        central_entry = central_entry[:20] + struct.pack("<L", self.compressed) + central_entry[24:]
        central = self.archive.central + central_entry + self.raw_name
        central_offset = self.offset + len(header) + len(self.raw_name) + self.compressed
        self.handle.write(central)
        self.handle.write(_end_record(self.archive.count + 1, len(central), central_offset))
        self.handle.seek(self.offset)
        self.handle.write(header + self.raw_name)
        self.handle.seek(0, io.SEEK_END)
