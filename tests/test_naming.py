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
        ("lpt1.txt", "lpt1_.txt"),
        ("prn.backup", "prn_.backup"),
        ("NUL.txt", "NUL_.txt"),
        ("nul.tar.gz", "nul_.tar.gz"),
        ("Aux", "Aux_"),
        ("com\u00b9", "com\u00b9_"),
        ("LPT\u00b3.doc", "LPT\u00b3_.doc"),
        ("COM0", "COM0_"),
        ("con .txt", "con_.txt"),
        ("aux. ", "aux_"),
        ("COM10", "COM10"),
        ("console", "console"),
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


# Windows' own rules for a file name (Microsoft, "Naming Files, Paths, and Namespaces"), written
# out here apart from lettergen's code, for the table below to check it against.
_WINDOWS_FORBIDDEN = set('<>:"/\\|?*') | {chr(code) for code in range(32)}
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]
}


def windows_accepts(name: str) -> bool:
    """Tell whether Windows takes ``name`` as an ordinary file name."""
    if name in ("", ".", "..") or name[-1] in " .":  # no name ends in a space or a period
        return False
    if any(char in _WINDOWS_FORBIDDEN for char in name):
        return False
    # A device name, even followed by an extension (NUL.txt and NUL.tar.gz are NUL).
    return name.split(".", 1)[0].rstrip(" ").upper() not in _WINDOWS_DEVICES


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("letter.txt", True),
        ("CON", False),
        ("con", False),
        ("NUL.txt", False),
        ("NUL.tar.gz", False),
        ("prn.backup", False),
        ("prn.backup_.txt", False),  # what lettergen wrote before: still the printer
        ("prn_.backup.txt", True),
        ("COM1", False),
        ("LPT9.docx", False),
        ("COM\u00b9.txt", False),
        ("lpt\u00b2", False),
        ("COM10.txt", True),
        ("LPT", True),
        ("CONSOLE.txt", True),
        ("con .txt", False),
        ("trailing.", False),
        ("trailing ", False),
        ("a<b", False),
        ('quote"d', False),
        ("tab\there", False),
        ("back\\slash", False),
        ("Élisabeth Borne.txt", True),
    ],
)
def test_the_reference_follows_windows_documented_rules(name: str, accepted: bool) -> None:
    assert windows_accepts(name) is accepted


def test_every_safe_name_is_one_windows_accepts() -> None:
    pieces = ["con", "PRN", "aux", "Nul", "COM1", "lpt9", "com\u00b9", "LPT\u00b3", "COM0"]
    pieces += ["", ".", "..", " ", ".txt", ".tar.gz", ".backup", " .x", "x", "é", "<", ":", "\x07"]
    names = [a + b + c for a in pieces for b in pieces for c in pieces]
    checked = 0
    for name in names:
        safe = safe_filename(name)
        if safe:
            checked += 1
            assert windows_accepts(safe), (name, safe)
            for suffix in (".txt", ".docx", ".pdf"):
                assert windows_accepts(safe + suffix), (name, safe + suffix)
    assert checked > len(names) // 2
