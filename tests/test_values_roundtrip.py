"""Any value in any field comes out of a letter exactly as it went in, or is refused by name.

Values come from spreadsheets and other people's lists: control characters pasted from Excel,
right-to-left scripts, astral characters, combining marks, XML's own characters, text that looks
like template syntax. A text letter and a Word letter print each exactly; a value no letter can
hold is refused with a message naming the record and the field, and nothing is written.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lettergen.cli import cli

from .conftest import write
from .docx_helpers import docx_text

# Text as lists hold it: any character, with the awkward ones made likely.
AWKWARD = st.sampled_from(
    [
        "\x0b",
        "\x00",
        "\t",
        "&",
        "<",
        ">",
        '"',
        "'",
        "]]>",
        "{{",
        "{%",
        "}}",
        "\u202e",
        "\u05d0",
        "\u0627",
        "\U0001f600",
        "\U00020000",
        "e\u0301",
        "\u00a0",
        "\ufeff",
        "\r",
        "\x1f",
        "\ud7ff",
    ]
)
VALUES = st.lists(st.one_of(st.characters(codec="utf-8"), AWKWARD), min_size=1, max_size=12).map(
    "".join
)
FIELDS = st.sampled_from(["note", "name", "organisation", "city"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES, field=FIELDS)
@example(value="\x0b", field="city")  # Excel's line break in a cell: refused
@example(value="S&D <b>]]> {{ x }} \u05e9\u05dc\u05d5\u05dd \U0001f600 e\u0301", field="name")
def test_a_value_round_trips_through_text_and_word_letters_or_is_refused_by_name(
    value: str, field: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root / "me.yaml", "name: Mady Delvaux-Stehres\n")
        template = write(
            root / "letter.txt.j2", f"---\nsender: me.yaml\n---\n<{{{{ recipient.{field} }}}}>\n"
        )
        people = root / "people.json"
        people.write_text(json.dumps([{"id": "r", field: value}]), encoding="utf-8")
        out = root / "out"
        args = ["render", str(template), str(people), "-o", str(out), "-f", "txt", "-f", "docx"]
        result = CliRunner().invoke(cli, [*args, "--no-check"])
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            text = (out / "r.txt").read_bytes().decode("utf-8")
            assert text == f"<{value}>\n"
            # A carriage return (a line end from Windows) is a line break in a Word letter.
            assert docx_text(out / "r.docx") == text.replace("\r\n", "\n").replace("\r", "\n")
        else:
            assert result.exit_code == 1, result.output
            assert f"record 'r': field 'recipient.{field}'" in result.stderr, result.stderr
            assert not out.exists()
