"""The address window: the sample letters' addresses stand in DIN 5008 form B's field, nothing
else does, and every sample letter is one A4 page (through LibreOffice and poppler)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.cli import cli
from lettergen.errors import TemplateError
from lettergen.writers.frames import PRESETS, address_field_of
from tests.docx_helpers import png
from tests.test_pdf import needs_libreoffice, pages

ROOT = Path(__file__).resolve().parent.parent
MM = 72 / 25.4
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def campaign(tmp_path: Path, *, signature: bool) -> Path:
    """A copy of the sample campaign; with ``signature``, its signatory signs with an image."""
    folder = tmp_path / "campaign"
    for name in ("templates", "recipients"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "lettergen.yaml", folder / "lettergen.yaml")
    # The return address above the address, which the sample leaves out.
    template = folder / "templates" / "appeal.txt.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "address_field: din5008-b", "address_field: {preset: din5008-b, return_address: true}"
        ),
        encoding="utf-8",
    )
    if signature:
        (folder / "templates" / "signature.png").write_bytes(png(90, 40))
        profile = folder / "templates" / "mady-delvaux-stehres.yaml"
        profile.write_text(
            profile.read_text(encoding="utf-8") + "signature: signature.png\n", encoding="utf-8"
        )
    return folder


def words(pdf: Path) -> list[tuple[float, float, float, float, str]]:
    """Each word of the PDF's first page with its box, in mm from the page's top left."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        (float(a) / MM, float(b) / MM, float(c) / MM, float(d) / MM, html.unescape(w))
        for a, b, c, d, w in _WORD.findall(out)
    ]


def render(folder: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["render", *args, "-o", "out"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@needs_libreoffice
@pytest.mark.parametrize("signature", [False, True], ids=["unsigned", "signature-image"])
def test_every_sample_letter_is_one_page_with_its_address_in_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signature: bool
) -> None:
    folder = campaign(tmp_path, signature=signature)
    monkeypatch.chdir(folder)
    render(folder, "-f", "txt", "-f", "pdf")
    field = PRESETS["din5008-b"]
    left, top = field.left, field.top
    right, bottom = left + field.width, top + field.height
    profile = (folder / "templates" / "mady-delvaux-stehres.yaml").read_text(encoding="utf-8")
    returned = re.search(r"^return_address: (.*)$", profile, re.M)
    assert returned is not None
    letters = sorted((folder / "out").glob("*.pdf"))
    assert len(letters) == 6  # five English letters, one French
    for pdf in letters:
        assert pages(pdf) == 1, pdf.name
        text = pdf.with_suffix(".txt").read_text(encoding="utf-8")
        address = text.split("\n\n", 1)[0].split("\n")
        expected = " ".join([returned.group(1), *address]).split()
        inside, outside = [], []
        for x0, y0, x1, y1, word in words(pdf):
            within = left <= x0 and x1 <= right and top <= y0 and y1 <= bottom
            (inside if within else outside).append(word)
            # Nothing lies across the field's edge.
            overlaps = x0 < right and x1 > left and y0 < bottom and y1 > top
            assert within or not overlaps, (pdf.name, word, x0, y0, x1, y1)
        # Every word of the return address and the address, in order, and nothing else.
        assert inside == expected, pdf.name
        assert "Dear" in outside or "Monsieur" in outside


@needs_libreoffice
def test_the_return_address_sits_above_the_address_in_small_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = campaign(tmp_path, signature=False)
    monkeypatch.chdir(folder)
    render(folder, "-f", "pdf", "--only", "manuel-valls")
    found = words(folder / "out" / "manuel-valls.pdf")
    field = PRESETS["din5008-b"]
    zone_end = field.top + field.zone
    # The header names her too: the return address's "Mady" is the one in the field.
    first = next(w for w in found if w[4] == "Mady" and w[1] > field.top)
    name = next(w for w in found if w[4] == "Valls")
    # The return address in the top zone, its type under half the address's height.
    assert field.top < first[1] and first[3] <= zone_end + 0.5
    assert name[1] >= zone_end - 0.5
    assert (first[3] - first[1]) < 0.8 * (name[3] - name[1])
    # The date beside the field, right of it; the subject below it.
    date = next(w for w in found if w[4] == "Brussels,")
    assert date[0] > field.left + field.width and date[1] < field.top + field.height
    subject = next(w for w in found if w[4] == "Subject:")
    assert subject[1] > field.top + field.height


def test_a_front_matter_field_is_a_preset_or_mm_values() -> None:
    assert address_field_of({}, None) is None
    assert address_field_of({"address_field": "din5008-a"}, None) == PRESETS["din5008-a"]
    field = address_field_of({"address_field": {"preset": "dl", "size": 9}}, None)
    assert field is not None and field.width == 90 and field.size == 9
    with pytest.raises(TemplateError) as caught:
        address_field_of({"address_field": "din5008-c"}, Path("t.txt.j2"))
    assert caught.value.message == (
        "front matter 'address_field': unknown preset 'din5008-c' "
        "(known: din5008-b, din5008-a, dl, c5)"
    )
    with pytest.raises(TemplateError) as caught:
        address_field_of({"address_field": {"top": "high"}}, Path("t.txt.j2"))
    assert caught.value.message == (
        "front matter 'address_field': 'top' is a number of mm (points for sizes), not 'high'"
    )


def test_an_address_line_wider_than_the_window_is_a_warning_naming_record_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig (fc-match) finds the font to measure with")
    folder = campaign(tmp_path, signature=False)
    monkeypatch.chdir(folder)
    # The sample splits the ministry's name over two lines, as it is posted: no warning.
    result = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "address-width" not in result.output
    # On one line it is wider than the window.
    records = folder / "recipients" / "french-government.yaml"
    split = 'organisation: "Ministère des Affaires étrangères\\net du Développement international"'
    text = records.read_text(encoding="utf-8")
    assert split in text
    records.write_text(
        text.replace(
            split,
            "organisation: Ministère des Affaires étrangères et du Développement international",
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "warning: address-width (1)" in lines
    assert (
        "  recipients/french-government.yaml:4: record 'laurent-fabius': letter line 1: warning: "
        "address line 'Ministère des Affaires étrangères et du Développement international' is "
        "106 mm wide in the window's type, the address field 80 mm: it wraps or is hidden in a "
        "window envelope; shorten it or split it over two lines"
    ) in lines
