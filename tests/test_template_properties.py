"""A Word template's document properties are rendered like its text, for each letter."""

from __future__ import annotations

from pathlib import Path

import docx
from click.testing import CliRunner
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from lettergen.cli import cli
from tests.conftest import snapshot, write

PEOPLE = "- id: ann\n  name: Ann Lee & Co\n"

# A plain-text content control bound to the title property, as Word's Quick Parts insert it.
BOUND_TITLE = (
    '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:sdtPr><w:alias w:val="Title"/><w:dataBinding w:prefixMappings="xmlns:ns0=\'http://purl'
    ".org/dc/elements/1.1/' xmlns:ns1='http://schemas.openxmlformats.org/package/2006/metadata/"
    'core-properties\'" w:xpath="/ns1:coreProperties[1]/ns0:title[1]" w:storeItemID='
    '"{6C3C8BC8-F283-45AE-878A-BAB7291924A1}"/><w:text/></w:sdtPr>'
    "<w:sdtContent><w:p><w:r><w:t>{{ test }}</w:t></w:r></w:p></w:sdtContent></w:sdt>"
)


def template(path: Path, title: str, *, bound: bool = False) -> Path:
    document = docx.Document()
    document.add_paragraph("Dear {{ recipient.name }},")
    if bound:
        document.element.body.insert(0, parse_xml(BOUND_TITLE))
    document.core_properties.title = title
    document.core_properties.subject = "Appeal of {{ date.year }}"
    document.core_properties.author = "Office"
    document.save(str(path))
    return path


def render(runner: CliRunner, path: Path, tmp_path: Path) -> tuple[int, str, Path]:
    people, out = write(tmp_path / "people.yaml", PEOPLE), tmp_path / "out"
    result = runner.invoke(
        cli,
        ["render", str(path), str(people), "-o", str(out), "-f", "docx", "--date", "2015-05-25"],
    )
    return result.exit_code, result.stderr.strip() or result.output, out


def test_templated_properties_are_rendered(runner: CliRunner, tmp_path: Path) -> None:
    path = template(tmp_path / "letter.docx", "Letter to {{ recipient.name | upper }}")
    code, output, out = render(runner, path, tmp_path)
    assert code == 0, output
    letter = docx.Document(str(out / "ann.docx"))
    assert letter.core_properties.title == "Letter to ANN LEE & CO"
    assert letter.core_properties.subject == "Appeal of 2015"
    assert letter.core_properties.author == "Office"
    assert [p.text for p in letter.paragraphs] == ["Dear Ann Lee & Co,"]


def test_a_content_control_bound_to_the_title_shows_the_rendered_title(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = template(tmp_path / "letter.docx", "To {{ recipient.name }}", bound=True)
    code, output, out = render(runner, path, tmp_path)
    assert code == 0, output
    letter = docx.Document(str(out / "ann.docx"))
    assert letter.core_properties.title == "To Ann Lee & Co"
    body = letter.element.body
    shown = "".join(t.text for t in body.iter(qn("w:t")))
    assert shown == "To Ann Lee & CoDear Ann Lee & Co,"


def test_a_missing_field_in_a_property_names_the_property(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = template(tmp_path / "letter.docx", "To {{ recipient.office }}")
    code, output, out = render(runner, path, tmp_path)
    assert code == 1
    assert output == (
        f"{tmp_path}/people.yaml:1: record 'ann': missing field 'recipient.office' (used in "
        f'{path}, docProps/core.xml paragraph 1 "title: To {{{{ recipient.office }}}}")'
    )
    assert snapshot(out) == {}
