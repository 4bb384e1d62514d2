"""Ids and file names: readable, and never a path out of the output folder."""

from __future__ import annotations

import pytest

from lettergen.naming import MAX_NAME_BYTES, safe_filename, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Élisabeth Borne", "elisabeth-borne"),
        ("Jean-Yves Le Drian", "jean-yves-le-drian"),
        ("  Ursula von der Leyen ", "ursula-von-der-leyen"),
        ("Ολυμπία", ""),
        ("S&D", "s-d"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("/absolute/path", "absolute-path"),
        ("..\\..\\windows\\system32", "windows-system32"),
        ("a\x00b\x1fc", "a-b-c"),
        ('what?*<>:"|', "what"),
        ("CON", "CON_"),
        ("lpt1.txt", "lpt1.txt_"),
        (".hidden", "hidden"),
        ("trailing. ", "trailing"),
        ("..", ""),
        ("Borne, Élisabeth", "Borne, Élisabeth"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_long_names_are_capped_in_utf8_bytes() -> None:
    name = safe_filename("é" * 200)
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert set(name) == {"é"}
