"""DOCX letters from text templates: the text letter's text, letterhead, signature, escaping."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from docx.shared import Cm

from lettergen.cli import cli
from tests.conftest import ROOT, SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, write
from tests.docx_helpers import docx_text, png


def render(runner: CliRunner, *args: str | Path) -> tuple[int, str]:
    """Run ``lettergen render ARGS``; return the exit code and the whole output."""
    result = runner.invoke(cli, ["render", *map(str, args)])
    return result.exit_code, result.output


def sample_run(runner: CliRunner, sample: dict[str, Path], out: Path, *args: str) -> None:
    code, output = render(
        runner, sample["template"], sample["recipients"], "-o", out, "-f", "txt", "-f", "docx",
        *args,
    )  # fmt: skip
    assert code == 0, output


def test_every_sample_docx_has_the_text_of_its_text_letter(runner, sample, tmp_path):
    sample_run(runner, sample, tmp_path)
    texts = sorted(tmp_path.glob("*.txt"))
    assert len(texts) >= 5
    for text in texts:
        document = text.with_suffix(".docx")
        assert docx_text(document) == text.read_text(encoding="utf-8"), document.name
        with zipfile.ZipFile(document) as archive:
            assert archive.testzip() is None
    if shutil.which("unzip"):
        # Another reader of zips than Python's: the members' headers are right, not only CRCs.
        tested = subprocess.run(
            ["unzip", "-t", str(texts[0].with_suffix(".docx"))], capture_output=True, text=True
        )
        assert tested.returncode == 0, tested.stdout
        assert "No errors detected" in tested.stdout


def test_blocks_are_paragraphs_and_lines_are_breaks(runner, sample, tmp_path):
    sample_run(runner, sample, tmp_path, "--only", "laurent-fabius")
    paragraphs = docx.Document(str(tmp_path / "laurent-fabius.docx")).paragraphs
    # The address is one block: one paragraph, its lines broken.
    assert paragraphs[0].text == (
        "Ministère des Affaires étrangères\net du Développement international\n"
        "Mr Laurent Fabius\nMinister of Foreign Affairs\n"
        "37, Quai d'Orsay\n75700 Paris 07SP\nFRANCE"
    )
    assert paragraphs[1].text == "Brussels, 25 May 2015\nOur ref.: MDS/2015/0525"
    # The space to sign (three blank lines after the closing): two empty paragraphs.
    closing = [p.text for p in paragraphs].index("Yours sincerely,")
    assert [p.text for p in paragraphs[closing + 1 : closing + 4]] == [
        "",
        "",
        "Mady Delvaux-Stehres\nMember of the European Parliament",
    ]


def test_sample_letter_takes_the_letterhead_and_layout_of_its_front_matter(
    runner, sample, tmp_path
):
    sample_run(runner, sample, tmp_path, "--only", "laurent-fabius")
    document = docx.Document(str(tmp_path / "laurent-fabius.docx"))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.05)
    assert abs(section.left_margin - Cm(2.5)) < Cm(0.05)
    header = "\n".join(p.text for p in section.header.paragraphs)
    assert "Mady Delvaux-Stehres" in header
    footer = "\n".join(p.text for p in section.footer.paragraphs)
    assert "Bâtiment Altiero Spinelli 15G115" in footer
    assert "Bâtiment Louise Weiss T07085" in footer
    paragraphs = document.paragraphs
    # The address and the date stand in frames placed from the page's edge (the window).
    frames = [p._p.pPr.find(qn("w:framePr")) for p in paragraphs[:3]]
    assert [f is not None for f in frames] == [True, True, False]
    assert (frames[0].get(qn("w:x")), frames[0].get(qn("w:y"))) == ("1134", "2551")  # 20 mm, 45 mm
    assert paragraphs[1].paragraph_format.alignment == 2  # right
    assert paragraphs[2].style.name == "Subject"
    # From the closing to the end, one page: each paragraph kept with the next but the last.
    closing = [p.text for p in paragraphs].index("Yours sincerely,")
    kept = paragraphs[closing:]
    assert all(p.paragraph_format.keep_together for p in kept)
    assert [bool(p.paragraph_format.keep_with_next) for p in kept] == [True] * (len(kept) - 1) + [
        False
    ]
    assert not paragraphs[closing - 1].paragraph_format.keep_with_next


def test_letterhead_option_overrides_the_front_matter(runner, sample, tmp_path):
    plain = ROOT / "templates" / "letterhead.docx"
    sample_run(runner, sample, tmp_path, "--only", "manuel-valls", "--letterhead", str(plain))
    document = docx.Document(str(tmp_path / "manuel-valls.docx"))
    header = "".join(p.text for p in document.sections[0].header.paragraphs)
    assert "Delvaux" not in header
    assert abs(document.sections[0].page_width - Cm(21)) < Cm(0.05)
    assert docx_text(tmp_path / "manuel-valls.docx") == (tmp_path / "manuel-valls.txt").read_text()


def test_shipped_letterheads_are_what_the_script_makes():
    from lettergen.inputs.sender import localised, read_sender
    from lettergen.writers.letterhead_builder import build_letterhead

    folder = ROOT / "templates"
    assert (folder / "letterhead.docx").read_bytes() == build_letterhead()
    sender = read_sender(folder / "mady-delvaux-stehres.yaml")
    english, french = localised(sender, "en"), localised(sender, "fr")
    assert (folder / "letterhead-delvaux.docx").read_bytes() == build_letterhead(english)
    # The French letters' letterhead: the profile's French values.
    assert (folder / "letterhead-delvaux.fr.docx").read_bytes() == build_letterhead(french)
    assert french["role"] == "Députée au Parlement européen"


def _campaign(tmp_path: Path, records: str, template: str | None = None) -> tuple[Path, Path]:
    template_path = write(
        tmp_path / "t" / "letter.txt.j2",
        template
        or """\
        ---
        sender: me.yaml
        ---
        {{ recipient.name }}
        {% if recipient.organisation %}
        {{ recipient.organisation }}
        {% endif %}
        {% for line in recipient.address | lines %}
        {{ line }}
        {% endfor %}
        {% if recipient.note %}

        {{ recipient.note }}
        {% endif %}

        Yours,



        {{ sender.name }}
        """,
    )
    write(tmp_path / "t" / "me.yaml", "name: Ana Núñez\n")
    return template_path, write(tmp_path / "r.yaml", records)


ODD_VALUES = """\
- id: and-lt-gt
  name: Group S&D <Socialists> "and" 'Democrats'
  organisation: A & B <C> ]]> &amp;
  address: "Line one\\nLine two"
  note: "Tabs\\there & quotes ' \\" stay"
- id: greek-cyrillic
  name: Κυριάκος Μητσοτάκης
  organisation: Министерство иностранных дел
  address: [Ελλάδα, Россия]
  note: Ça, c'est élevé — ñ ü ø å ß
- id: emoji
  name: Ana 😀 Test 🇪🇺
  organisation: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢
  address: [x]
  note: "👍🏽"
- id: rtl
  name: محمد عبد الله
  organisation: משרד החוץ
  address: [شارع 12, ירושלים]
  note: مرحبا بالعالم and English
- id: empty
  name: Empty Fields
  organisation: ""
  address: [Somewhere]
  note: ""
"""


def test_values_come_out_as_typed(runner, tmp_path):
    template, records = _campaign(tmp_path, ODD_VALUES)
    code, output = render(
        runner, template, records, "-o", tmp_path / "out", "-f", "txt", "-f", "docx"
    )
    assert code == 0, output
    for record in ("and-lt-gt", "greek-cyrillic", "emoji", "rtl", "empty"):
        text = (tmp_path / "out" / f"{record}.txt").read_text(encoding="utf-8")
        assert docx_text(tmp_path / "out" / f"{record}.docx") == text, record
    paragraphs = docx.Document(str(tmp_path / "out" / "and-lt-gt.docx")).paragraphs
    assert paragraphs[0].text == (
        "Group S&D <Socialists> \"and\" 'Democrats'\nA & B <C> ]]> &amp;\nLine one\nLine two"
    )
    assert paragraphs[1].text == "Tabs\there & quotes ' \" stay"


def test_right_to_left_paragraphs_read_right_to_left(runner, tmp_path):
    template, records = _campaign(tmp_path, ODD_VALUES)
    code, output = render(runner, template, records, "-o", tmp_path / "out", "-f", "docx")
    assert code == 0, output
    body = docx.Document(str(tmp_path / "out" / "rtl.docx")).element.body
    bidi = body.xpath("./w:p[w:pPr/w:bidi]")
    assert [p.xpath("string(.)") for p in bidi] == [
        "محمد عبد اللهמשרד החוץشارع 12ירושלים",
        "مرحبا بالعالم and English",
    ]


@pytest.mark.parametrize(
    ("value", "code_point"), [("a\\vb", "U+000B"), ("a\\0b", "U+0000"), ("\\x1f", "U+001F")]
)
def test_a_character_xml_cannot_hold_is_an_error_naming_record_and_field(
    runner, tmp_path, value, code_point
):
    records = f"""\
    - id: ok
      name: Fine
      organisation: Org
      address: [x]
      note: fine
    - id: pasted
      name: From Excel
      organisation: Org
      address: ["x", "{value}"]
      note: fine
    """
    template, path = _campaign(tmp_path, records)
    out = tmp_path / "out"
    code, output = render(runner, template, path, "-o", out, "-f", "txt", "-f", "docx")
    assert code == 1
    assert output.startswith(f"{path}:6: record 'pasted': field 'recipient.address[1]': holds ")
    assert code_point in output
    assert "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_a_forbidden_character_from_the_template_names_the_template(runner, tmp_path):
    template, records = _campaign(
        tmp_path,
        "- {id: one, name: One}\n",
        "{{ recipient.name }}\n\nBad \x0c page\n",
    )
    code, output = render(runner, template, records, "-o", tmp_path / "out", "-f", "docx")
    assert code == 1
    assert output.startswith(f"{template}: record 'one': the letter holds U+000C")


def test_signature_image_sits_in_the_space_to_sign(runner, sample, tmp_path):
    image = tmp_path / "signature.png"
    image.write_bytes(png(300, 100))
    profile = tmp_path / "sender.yaml"
    profile.write_text(
        sample["sender"].read_text(encoding="utf-8") + "signature: signature.png\n",
        encoding="utf-8",
    )
    sample_run(runner, sample, tmp_path, "--sender", str(profile), "--only", "laurent-fabius")
    path = tmp_path / "laurent-fabius.docx"
    document = docx.Document(str(path))
    shapes = document.inline_shapes
    assert len(shapes) == 1
    assert abs(shapes[0].width - Cm(4.5)) < Cm(0.01)
    assert abs(shapes[0].height - Cm(1.5)) < Cm(0.01)
    paragraphs = document.paragraphs
    holder = next(i for i, p in enumerate(paragraphs) if p._element.xpath(".//w:drawing"))
    assert paragraphs[holder - 1].text == "Yours sincerely,"
    assert docx_text(path) == (tmp_path / "laurent-fabius.txt").read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("word/media/signature.png") == image.read_bytes()


def test_a_signature_that_is_no_image_is_an_error(runner, sample, tmp_path):
    (tmp_path / "signature.png").write_text("not an image")
    profile = tmp_path / "sender.yaml"
    profile.write_text(
        sample["sender"].read_text(encoding="utf-8") + "signature: signature.png\n",
        encoding="utf-8",
    )
    code, output = render(
        runner, sample["template"], sample["recipients"], "-o", tmp_path / "out", "-f", "docx",
        "--sender", profile,
    )  # fmt: skip
    assert code == 1
    assert output.startswith(f"{tmp_path / 'signature.png'}: the signature image is not a PNG")
    assert not (tmp_path / "out").exists()


def test_a_letterhead_that_is_no_word_document_is_an_error(runner, sample, tmp_path):
    bad = write(tmp_path / "head.docx", "plain text")
    code, output = render(
        runner, sample["template"], sample["recipients"], "-o", tmp_path / "out", "-f", "docx",
        "--letterhead", bad,
    )  # fmt: skip
    assert code == 1
    assert output.startswith(f"{bad}: letterhead: not a Word document (.docx)")


def test_a_style_the_letterhead_lacks_is_an_error(runner, tmp_path):
    template, records = _campaign(
        tmp_path,
        "- {id: one, name: One}\n",
        "---\nblocks:\n  - {at: 1, style: Fancy}\n---\n{{ recipient.name }}\n",
    )
    code, output = render(runner, template, records, "-o", tmp_path / "out", "-f", "docx")
    assert code == 1
    assert output.startswith(
        f"{template}: front matter 'blocks' rule 1: the default letterhead has no paragraph "
        "style 'Fancy'"
    )


def test_a_rule_picking_no_block_is_an_error_naming_the_record(runner, tmp_path):
    template, records = _campaign(
        tmp_path,
        "- {id: one, name: One}\n",
        "---\nblocks:\n  - {from: 'Yours', together: true}\n---\n{{ recipient.name }}\n",
    )
    code, output = render(runner, template, records, "-o", tmp_path / "out", "-f", "docx")
    assert code == 1
    assert output.startswith(
        f"{template}: record 'one': front matter 'blocks' rule 1 (from: 'Yours') picks no block"
    )


def _many_records(count: int) -> str:
    return "".join(
        f"- {{id: r{i}, name: Person {i}, organisation: Org {i}, address: [Street {i}], "
        f"note: Note {i}}}\n"
        for i in range(count)
    )


@pytest.mark.parametrize("check", [[], ["--no-check"]])
def test_two_jobs_write_the_same_letters_as_one(runner, tmp_path, check):
    from lettergen.output.processes.first_pass import PARALLEL_FROM

    template, path = _campaign(tmp_path, _many_records(400))
    assert path.stat().st_size >= PARALLEL_FROM  # big enough for two processes
    for jobs in ("1", "2"):
        code, output = render(
            runner, template, path, "-o", tmp_path / jobs, "-f", "docx", "-f", "txt", "-j", jobs,
            "--combine", tmp_path / f"all-{jobs}.docx", *check,
        )  # fmt: skip
        assert code == 0, output
    one = sorted(p.name for p in (tmp_path / "1").glob("r*"))
    assert len(one) == 2 * 400
    assert one == sorted(p.name for p in (tmp_path / "2").glob("r*"))
    for name in one:
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    assert (tmp_path / "all-1.docx").read_bytes() == (tmp_path / "all-2.docx").read_bytes()
    # The workers hash the files they build: the manifest holds each file's true SHA-256.
    with open(tmp_path / "2" / "manifest.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["file"] for row in rows) == one
    for row in rows:
        data = (tmp_path / "2" / row["file"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("check", [[], ["--no-check"]])
def test_two_jobs_give_each_warning_once_as_one_job_does(runner, tmp_path, check):
    # The first record's file name is unsafe: rendered in this process before the workers
    # start, and again in a worker (and, with the checks, once more here).
    template, path = _campaign(tmp_path, _many_records(400).replace("id: r0,", 'id: "a/b",'))
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        code, output = render(runner, template, path, "-o", out, "-f", "docx", "-j", jobs, *check)
        assert code == 0, output
        assert (out / "a-b.docx").is_file()
        outputs.append(output.replace(str(out), "OUT"))
    assert outputs[0] == outputs[1]
    assert outputs[0].count("file name 'a/b' is not safe; written as 'a-b'") == 1


def test_two_jobs_report_the_error_one_job_reports(runner, tmp_path):
    records = _many_records(400).replace("name: Person 333,", 'name: "Person\\v333",')
    records = records.replace("id: r350,", "id: R7,")  # a file name clash, after the error
    template, path = _campaign(tmp_path, records)
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        code, output = render(runner, template, path, "-o", out, "-f", "docx", "-j", jobs)
        assert code == 1
        assert not out.exists() or not any(out.iterdir())
        outputs.append(output)
    assert outputs[0] == outputs[1]
    assert f"{path}:334: record 'r333': field 'recipient.name': holds U+000B" in outputs[0]


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are needed to convert DOCX to PDF; "
    "CI installs libreoffice-writer-nogui and poppler-utils",
)
def test_libreoffice_prints_the_letters(runner, sample, tmp_path):
    out = tmp_path / "letters"
    sample_run(runner, sample, out, "--only", "laurent-fabius", "--only", "christiane-taubira")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
            "--outdir", str(tmp_path / "pdf"),
            str(out / "laurent-fabius.docx"), str(out / "christiane-taubira.docx"),
        ],
        check=True, capture_output=True, timeout=240, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    for name, person in (
        ("laurent-fabius", "Mr Laurent Fabius"),
        ("christiane-taubira", "Ms Christiane Taubira"),
    ):
        pdf = tmp_path / "pdf" / f"{name}.pdf"
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        words = " ".join(text.split())
        assert person in words
        assert "I call on you to recognize the politically motivated nature" in words
        assert "Mady Delvaux-Stehres" in words


def test_a_missing_letterhead_named_by_the_front_matter_is_an_error(runner, tmp_path):
    template, records = _campaign(
        tmp_path,
        "- {id: one, name: One}\n",
        "---\nletterhead: heads/missing.docx\n---\n{{ recipient.name }}\n",
    )
    out = tmp_path / "out"
    code, output = render(runner, template, records, "-o", out, "-f", "txt", "-f", "docx")
    assert code == 1
    missing = template.parent / "heads" / "missing.docx"
    assert output.startswith(f"{missing}: cannot read the letterhead: No such file")
    assert not out.exists()
    # The text letter alone does not need it.
    code, output = render(runner, template, records, "-o", out, "-f", "txt")
    assert code == 0, output


@pytest.mark.parametrize(
    ("part", "content", "message"),
    [
        ("word/document.xml", b"<w:document", "its part word/document.xml is not well-formed XML"),
        ("word/styles.xml", b"<?xml version='1.0'?><x>", "its part word/styles.xml is not well"),
        ("word/styles.xml", None, "its part word/styles.xml is damaged"),
    ],
)
def test_a_damaged_letterhead_is_an_error_not_a_traceback(
    runner, sample, tmp_path, part, content, message
):
    from lettergen.writers.zipwriter import Archive, Member, read_members

    members = []
    for member in read_members((ROOT / "templates" / "letterhead.docx").read_bytes()):
        if member.name == part and content is None:
            # Deflated data that does not inflate.
            member = Member(part, zipfile.ZIP_DEFLATED, 0, 100, b"\xff" * 20)
        elif member.name == part:
            member = Member.deflate(part, content)
        members.append(member)
    damaged = tmp_path / "head.docx"
    damaged.write_bytes(Archive(members).to_bytes())
    out = tmp_path / "out"
    code, output = render(
        runner, sample["template"], sample["recipients"], "-o", out, "-f", "docx",
        "--letterhead", damaged,
    )  # fmt: skip
    assert code == 1
    assert output.startswith(f"{damaged}: letterhead: {message}")
    assert not out.exists()


def test_a_letter_carries_its_own_title_author_and_date_not_its_letterheads(
    runner: CliRunner, tmp_path: Path
) -> None:
    import datetime as dt

    out = tmp_path / "out"
    args = ["render", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS), "-f", "docx", "-o", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    properties = docx.Document(str(out / "laurent-fabius.docx")).core_properties
    assert properties.title == "Extradition of Mr Mukhtar Ablyazov"  # the front matter's subject
    assert properties.author == "Mady Delvaux-Stehres"
    # Dated by the letters' date (the front matter's), not the letterhead's day or the clock.
    assert properties.created == dt.datetime(2015, 5, 25, tzinfo=dt.UTC)
    with zipfile.ZipFile(out / "laurent-fabius.docx") as archive:
        assert b"Microsoft" not in archive.read("docProps/app.xml")
        assert b"<Application>lettergen</Application>" in archive.read("docProps/app.xml")
