"""Ids and file names: readable, and never a path out of the output folder."""

from __future__ import annotations

import pytest

from lettergen.naming import MAX_NAME_BYTES, _cleaned, safe_filename, slugify


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


def test_names_kept_as_they_are_are_those_the_long_way_keeps() -> None:
    # safe_filename returns most names at once; it must give what the long way gives.
    pieces = ["a", "Z9", "_", "-", ".", "..", " ", "con", "LPT1", "é", "/", "x" * 60]
    names = [a + b + c for a in pieces for b in pieces for c in pieces]
    names += ["r" * MAX_NAME_BYTES, "r" * (MAX_NAME_BYTES + 1), "aux.txt", "nul", "a.b.c"]
    kept = 0
    for name in names:
        assert safe_filename(name) == _cleaned(name), name
        kept += safe_filename(name) == name
    assert 0 < kept < len(names)
