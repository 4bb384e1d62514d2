"""Deflating members: small documents with a small window, any size readable by any unzip."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import pytest

from lettergen.writers.zipwriter import SMALL, Archive, Member, deflate


@pytest.mark.parametrize("size", [0, 100, SMALL - 1, SMALL, SMALL + 1, 5 * SMALL])
def test_deflated_bytes_inflate_back(size: int) -> None:
    # Text that repeats (as XML does) and bytes that do not.
    content = (b"<w:p><w:r><w:t>Minister</w:t></w:r></w:p>" * size)[: size // 2] + os.urandom(
        size - size // 2
    )
    assert zlib.decompress(deflate(content), -15) == content


def test_an_archive_of_small_and_large_members_is_a_valid_zip() -> None:
    small = b"<document>" + b"x" * 3000 + b"</document>"
    large = b"<styles>" + os.urandom(40_000).hex().encode() + b"</styles>"
    archive = Archive([Member.deflate("word/styles.xml", large)])
    data = archive.build("word/document.xml", small)
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.testzip() is None
        assert opened.read("word/document.xml") == small
        assert opened.read("word/styles.xml") == large
