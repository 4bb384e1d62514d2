"""Templates: front matter, blank lines, dates by locale, the sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lettergen.errors import TemplateError
from lettergen.templating.environment import LetterTemplate, context_for
from tests.conftest import write

DAY = dt.date(2015, 5, 25)


def render(path: Path, record: dict[str, object], sender: dict[str, object] | None = None) -> str:
    template = LetterTemplate(path)
    return template.render(context_for(record, sender or {}, template.meta, DAY))


def test_front_matter_is_the_letter_context_and_not_printed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.txt.j2",
        """\
        ---
        place: Strasbourg
        subject: Extradition
        ---
        {{ letter.place }}: {{ letter.subject }}
        """,
    )
    assert render(path, {}) == "Strasbourg: Extradition\n"


def test_block_tags_leave_no_holes_and_letter_ends_with_one_newline(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.txt.j2",
        """\
        Address:
        {% if recipient.po_box is defined %}
        PO Box {{ recipient.po_box }}
        {% endif %}
        {% for line in recipient.address %}
        {{ line }}
        {% endfor %}

        Dear {{ recipient.name }},



        """,
    )
    text = render(path, {"name": "Ms Kallas", "address": ["Rue de la Loi 200", "Brussels"]})
    assert text == "Address:\nRue de la Loi 200\nBrussels\n\nDear Ms Kallas,\n"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "25 May 2015"),
        ("fr", "25 mai 2015"),
        ("de", "25. Mai 2015"),
        ("en_US", "May 25, 2015"),
    ],
)
def test_format_date_follows_the_letters_locale(tmp_path: Path, locale: str, expected: str) -> None:
    path = write(
        tmp_path / "t.txt.j2", f"---\nlocale: {locale}\n---\n{{{{ date | format_date }}}}\n"
    )
    assert render(path, {}) == expected + "\n"


def test_lines_filter_takes_lists_and_multiline_text(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt.j2", "{% for l in recipient.a | lines %}[{{ l }}]{% endfor %}\n")
    assert render(path, {"a": "Quai d'Orsay\n75007 Paris\n"}) == "[Quai d'Orsay][75007 Paris]\n"
    assert render(path, {"a": ["x", "y"]}) == "[x][y]\n"


def test_mutating_the_context_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt.j2", "{{ sender.offices.append('x') }}\n")
    template = LetterTemplate(path)
    context = context_for({}, {"offices": []}, {}, DAY)
    with pytest.raises(Exception) as caught:
        template.render(context)
    error = template.explain(caught.value)
    assert "refused by the template sandbox" in error.message
    assert error.line == 1


def test_fields_lists_the_dotted_fields_a_template_uses(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.txt.j2",
        """\
        ---
        place: x
        ---
        {{ recipient.name }} {{ recipient.address.city }} {{ sender.name }}
        {{ letter.place }} {{ recipient['title'] }}
        """,
    )
    assert LetterTemplate(path).fields() == {
        "recipient.name",
        "recipient.address.city",
        "sender.name",
        "letter.place",
        "recipient.title",
    }


def test_front_matter_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt.j2", "---\n- a\n- b\n---\nHi\n")
    with pytest.raises(TemplateError) as caught:
        LetterTemplate(path)
    assert str(caught.value) == f"{path}:2: front matter must be a mapping (key: value lines)"


def test_front_matter_yaml_error_names_the_file_line(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt.j2", "---\nplace: Paris\nsubject: [oops\n---\nHi\n")
    with pytest.raises(TemplateError) as caught:
        LetterTemplate(path)
    assert str(caught.value).startswith(f"{path}:4: invalid YAML: ")
