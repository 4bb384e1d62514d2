"""Letters as blocks: text <-> paragraphs, and the front matter's layout rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from lettergen.errors import TemplateError
from lettergen.merge.blocks import blocks, layout, paragraphs, parse_rules, text_of

LETTER = "Place, date\n\nName\nStreet\n\nDear Sir,\n\nBody.\n\nYours,\n\n\n\nSigner\n"


def test_blocks_are_paragraphs_and_extra_blank_lines_are_empty_ones():
    assert paragraphs(LETTER) == [
        ["Place, date"], ["Name", "Street"], ["Dear Sir,"], ["Body."], ["Yours,"], [], [],
        ["Signer"],
    ]  # fmt: skip
    assert text_of(paragraphs(LETTER)) == LETTER
    assert blocks(LETTER) == [
        "Place, date", "Name\nStreet", "Dear Sir,", "Body.", "Yours,", "", "", "Signer"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text", ["a\n", "\n\na\n", "a\nb\n\n\nc\n", "a\r\nb\r\n\r\nc\n", "  a  \n\n\tb\n"]
)
def test_text_of_undoes_paragraphs(text):
    assert text_of(paragraphs(text)) == text.replace("\r\n", "\n")


def test_rules_pick_blocks_by_number_and_first_words():
    rules = parse_rules(
        [
            {"at": 1, "style": "Date", "align": "right"},
            {"from": "Yours", "together": True, "signature": True},
            {"at": -1, "align": "justify"},
        ],
        Path("t.j2"),
    )
    result = layout(blocks(LETTER), rules)
    assert (result[0].style, result[0].align) == ("Date", "right")
    assert [r.keep_next for r in result] == [False] * 4 + [True, True, True, False]
    assert [r.keep_lines for r in result] == [False] * 4 + [True] * 4
    assert [r.signature_after for r in result] == [False] * 4 + [True] + [False] * 3
    assert result[-1].align == "both"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "front matter 'blocks' must be a list"),
        ([{"at": 1, "from": 2}], "rule 1: give exactly one of 'at'"),
        ([{"style": "Date"}], "rule 1: give exactly one of 'at'"),
        ([{"at": 0}], "rule 1: pick a block by number"),
        ([{"at": 1, "align": "middle"}], "rule 1: 'align' is one of left"),
        ([{"at": 1}, {"at": 2, "colour": "red"}], "rule 2: unknown key 'colour'"),
        ([{"at": 1, "together": "yes"}], "rule 1: 'together' is true or false"),
    ],
)
def test_bad_rules_are_template_errors(value, message):
    with pytest.raises(TemplateError) as caught:
        parse_rules(value, Path("t.j2"))
    assert str(caught.value).startswith("t.j2: ")
    assert message in str(caught.value)


def test_a_rule_picking_no_block_says_which():
    rules = parse_rules([{"from": "Sincerely", "together": True}], Path("t.j2"))
    with pytest.raises(LookupError, match=r"rule 1 \(from: 'Sincerely'\)"):
        layout(blocks(LETTER), rules)
