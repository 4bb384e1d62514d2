"""`lettergen check`: one test per finding, the seed letter's slip, and campaigns that are clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettergen.checks import Checker, Finding, Report, check_files
from lettergen.cli import cli
from lettergen.merge.render import Merge
from lettergen.options import MergeOptions
from tests.conftest import SAMPLE_RECIPIENTS, SAMPLE_TEMPLATE, SEED_LETTER, snapshot, write

FABIUS = """\
- id: laurent-fabius
  honorific: Mr
  name: Laurent Fabius
  title: Minister of Foreign Affairs
  organisation: Ministère des Affaires étrangères et du Développement international
  address:
    - 37, Quai d'Orsay
    - 75700 Paris 07SP
  salutation: Dear Minister,
  form_of_address: Minister
"""

VALLS = """\
- id: manuel-valls
  honorific: Mr
  name: Manuel Valls
  title: Prime Minister
  organisation: Hôtel de Matignon
  address:
    - 57, rue de Varenne
    - 75007 Paris
  salutation: Dear Prime Minister,
  form_of_address: Mr Prime Minister
"""

LETTER = """\
{{ recipient.honorific }} {{ recipient.name }}, {{ recipient.title }}
{{ recipient.organisation }}
{% for line in recipient.address %}
{{ line }}
{% endfor %}

{{ recipient.salutation }}

I write about the case of Mr Mukhtar Ablyazov. Mr Ablyazov's extradition must not happen.

{{ recipient.form_of_address }}, I call on you to stop it.

Yours sincerely,

Ana Gomes
"""


def run_check(template: Path, *recipients: Path, **options: object) -> Report:
    """Check a run through the library, as `lettergen check` does."""
    return check_files(
        MergeOptions(template=template, recipients=list(recipients), **options)  # type: ignore[arg-type]
    )


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def only(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.lines()
    return found[0]


def government(
    tmp_path: Path, template: str = LETTER, people: str = FABIUS + VALLS, **options: object
) -> Report:
    return run_check(
        write(tmp_path / "letter.txt.j2", template),
        write(tmp_path / "people.yaml", people),
        **options,
    )


# -- the seed letter and the clean campaigns -----------------------------------------------


def seed_line(text: str, start: str) -> int:
    lines = text.split("\n")
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(start))


def test_seed_letter_is_flagged_for_mr_prime_minister_on_its_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = write(tmp_path / "fabius.yaml", FABIUS)
    # The letter exactly as render writes it, to find the line independently of the checks.
    out = tmp_path / "out"
    rendered = runner.invoke(
        cli, ["render", str(SEED_LETTER), str(people), "-o", str(out), "--no-check"]
    )
    assert rendered.exit_code == 0, rendered.output
    letter = (out / "laurent-fabius.txt").read_text(encoding="utf-8")
    line = seed_line(letter, "Mr Prime Minister, I call on you")

    result = runner.invoke(cli, ["check", str(SEED_LETTER), str(people)])

    assert result.exit_code == 1, result.output
    report = run_check(SEED_LETTER, people)
    finding = only(report, "form-of-address")
    assert finding.severity == "error"
    assert finding.record == "laurent-fabius"
    assert finding.letter_line == line
    assert (finding.path, finding.line) == (people, 1)
    assert "'Mr Prime Minister'" in finding.message
    assert "Minister of Foreign Affairs" in finding.message
    assert f"{people}:1: record 'laurent-fabius': letter line {line}: error: " in result.stdout
    # "Mr Ablyazov" is a third person the letter is about, not a form of address.
    assert "Ablyazov" not in result.stdout
    assert report.errors == [finding]


def test_seed_letter_sent_to_the_prime_minister_is_right_about_mr_prime_minister(
    tmp_path: Path,
) -> None:
    people = write(tmp_path / "valls.yaml", VALLS)
    report = run_check(SEED_LETTER, people)
    messages = [f.message for f in report.findings if f.code == "form-of-address"]
    # The salutation is wrong for him; the vocative is his.
    assert len(messages) == 1, messages
    assert messages[0].startswith("'Dear Minister of Foreign Affairs,'")


def test_sample_campaign_gives_no_form_of_address_or_leak_finding(runner: CliRunner) -> None:
    parliament = SAMPLE_RECIPIENTS.with_name("french-parliament.yaml")
    report = run_check(SAMPLE_TEMPLATE, SAMPLE_RECIPIENTS, parliament)
    assert report.letters == 6
    # Whether a translation is older than its default depends on file times, not content.
    # No form of address, and no address line wider than the window (the ministry's long
    # name is split over two lines, as it is posted).
    assert [(f.code, f.record) for f in report.findings if f.code != "variant"] == []
    result = runner.invoke(cli, ["check", str(SAMPLE_TEMPLATE), str(SAMPLE_RECIPIENTS)])
    assert result.exit_code == 0, result.output
    assert "5 of 5 letter(s) rendered; 0 error(s)" in result.stdout
    assert "forms of address" not in result.stdout


def test_clean_campaign_gives_no_finding_at_all(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER)
    people = write(tmp_path / "people.yaml", FABIUS + VALLS)
    assert run_check(template, people).findings == []
    result = runner.invoke(cli, ["check", str(template), str(people), "--strict"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 of 2 letter(s) rendered; 0 error(s), 0 warning(s), 0 note(s)\n"


def test_check_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "letter.txt.j2", LETTER.replace("Yours", "TODO Yours"))
    write(tmp_path / "people.yaml", FABIUS)
    before = snapshot(tmp_path)
    result = runner.invoke(
        cli, ["check", str(tmp_path / "letter.txt.j2"), str(tmp_path / "people.yaml")]
    )
    assert result.exit_code == 1
    assert snapshot(tmp_path) == before


# -- template and fields ---------------------------------------------------------------------


def test_template_syntax_error_names_template_line(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", "Hello\n{% if recipient.name %}\nno end\n")
    people = write(tmp_path / "people.yaml", FABIUS)
    result = runner.invoke(cli, ["check", str(template), str(people)])
    assert result.exit_code == 1
    assert result.stdout.startswith("error: template (1)\n")
    assert f"  {template}:3: error: template syntax error: " in result.stdout


def test_missing_fields_are_counted_and_listed(runner: CliRunner, tmp_path: Path) -> None:
    people = write(
        tmp_path / "people.yaml",
        """\
        - {id: a, name: A}
        - {id: b}
        - {id: c, name: C}
        - {id: d}
        - {id: e}
        """,
    )
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    result = runner.invoke(cli, ["check", str(template), str(people)])
    assert result.exit_code == 1
    assert (
        f"  {people}:2: record 'b': error: 3 of 5 record(s) lack recipient.name: b, d, e\n"
        in result.stdout
    )


def test_optional_fields_are_not_missing(tmp_path: Path) -> None:
    template = write(
        tmp_path / "letter.txt.j2",
        """\
        Dear {{ recipient.name }},
        {% if recipient.title is defined %}{{ recipient.title }}{% endif %}
        {{ recipient.city | default("Paris") }}
        {% if recipient.vip %}{{ recipient.note }}{% endif %}
        """,
    )
    people = write(
        tmp_path / "people.yaml",
        """\
        - {id: a, name: A, vip: false}
        - {id: b, name: B, title: Minister, city: Lyon, vip: true, note: Thanks}
        """,
    )
    assert run_check(template, people).findings == []


def test_field_used_in_a_branch_is_missing_only_when_the_branch_runs(tmp_path: Path) -> None:
    template = write(
        tmp_path / "letter.txt.j2", "{% if recipient.vip %}{{ recipient.note }}{% endif %}\n"
    )
    people = write(tmp_path / "people.yaml", "- {id: a, vip: false}\n- {id: b, vip: true}\n")
    finding = only(run_check(template, people), "missing-field")
    assert finding.message == "1 of 2 record(s) lack recipient.note: b"


def test_empty_fields_are_errors_unless_the_template_tests_them(tmp_path: Path) -> None:
    template = write(
        tmp_path / "letter.txt.j2",
        "{{ recipient.salutation }}\n{% if recipient.title %}{{ recipient.title }}{% endif %}\n",
    )
    people = write(
        tmp_path / "people.yaml",
        "- {id: a, salutation: 'Dear Sir,', title: ''}\n- {id: b, salutation: '  ', title: ''}\n",
    )
    finding = only(run_check(template, people), "empty-field")
    assert finding.severity == "error"
    assert finding.record == "b"
    assert finding.message.startswith("1 of 2 record(s) have an empty recipient.salutation")


def test_record_fields_the_template_never_uses_are_noted(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    people = write(tmp_path / "people.yaml", "- {id: a, name: A, email: a@x.eu}\n")
    finding = only(run_check(template, people), "unused-field")
    assert finding.severity == "info"
    assert finding.message == (
        "recipient.email is never used by the template (1 of 1 record(s) have it)"
    )
    result = runner.invoke(cli, ["check", str(template), str(people), "--strict"])
    assert result.exit_code == 0, result.output


# -- ids, people and file names --------------------------------------------------------------


def test_duplicate_ids_are_reported_with_both_places(tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    people = write(tmp_path / "people.yaml", "- {id: a, name: A}\n- {id: a, name: B}\n")
    report = run_check(template, people)
    finding = only(report, "duplicate-id")
    assert str(finding) == (f"{people}:2: record 'a': error: duplicate id 'a'; first at {people}:1")
    assert report.letters == 2  # the second letter is still proofread


def test_the_same_person_under_two_ids_is_a_warning(tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER)
    twice = FABIUS + FABIUS.replace("id: laurent-fabius", "id: fabius").replace(
        "Laurent Fabius", "LAURENT  FABIUS"
    )
    finding = only(government(tmp_path, people=twice), "duplicate-person")
    assert finding.severity == "warning"
    assert finding.record == "fabius"
    assert "'laurent-fabius'" in finding.message
    assert template.exists()


def test_namesakes_in_different_organisations_are_not_the_same_person(tmp_path: Path) -> None:
    namesake = FABIUS.replace("id: laurent-fabius", "id: other").replace(
        "Ministère des Affaires étrangères et du Développement international", "Mairie de Lyon"
    )
    assert "duplicate-person" not in codes(government(tmp_path, people=FABIUS + namesake))


def test_output_name_clashes_are_errors(tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER)
    people = write(tmp_path / "people.yaml", FABIUS + VALLS)
    report = run_check(template, people, name="{{ recipient.honorific }}")
    finding = only(report, "name-clash")
    assert finding.record == "manuel-valls"
    assert "file name 'Mr' is also the name of record 'laurent-fabius'" in finding.message


# -- letters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "leftover",
    [
        "[NAME]",
        "<<city>>",
        "XXX",
        "TODO",
        "{{",
        "{%",
        # Word's merge fields, format strings, shell and batch variables, bracketed names.
        "«FirstName»",
        "{first_name}",
        "${name}",
        "%LastName%",
        "[FirstName]",
        "[first_name]",
        "TBC",
    ],
)
def test_leftover_placeholders_are_errors_on_their_line(tmp_path: Path, leftover: str) -> None:
    people = FABIUS.replace("form_of_address: Minister", f"form_of_address: Minister {leftover}")
    finding = only(government(tmp_path, people=people), "placeholder")
    assert finding.severity == "error"
    assert finding.letter_line == 10
    assert f"leftover placeholder '{leftover}'" in finding.message


@pytest.mark.parametrize(
    "text", ["between 10% and 20%", "« Liberté »", "[1]", "the {} sign", "here and there"]
)
def test_what_only_looks_like_a_placeholder_is_not_one(tmp_path: Path, text: str) -> None:
    people = FABIUS.replace("form_of_address: Minister", f"form_of_address: Minister {text}")
    report = government(tmp_path, people=people)
    assert [f for f in report.findings if f.code == "placeholder"] == []


def test_a_starters_instruction_text_is_a_warning(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "new")]).exit_code == 0
    result = runner.invoke(cli, ["check", "--campaign", str(tmp_path / "new" / "lettergen.yaml")])
    assert result.exit_code == 0
    assert (
        "letter line 13: warning: instruction text 'Write the body of your letter here' in: "
        in result.stdout
    )
    strict = ["check", "--strict", "--campaign", str(tmp_path / "new" / "lettergen.yaml")]
    assert runner.invoke(cli, strict).exit_code == 1


def test_placeholder_in_the_template_is_reported_once_for_all_letters(tmp_path: Path) -> None:
    report = government(tmp_path, template=LETTER.replace("Ana Gomes", "[SIGNATURE]"))
    finding = only(report, "placeholder")
    assert (finding.record, finding.count, finding.others) == (
        "laurent-fabius",
        2,
        ["manuel-valls"],
    )
    assert finding.letter_line == 14


def test_salutation_naming_another_recipient_is_an_error(tmp_path: Path) -> None:
    people = FABIUS.replace("Dear Minister,", "Dear Mr Valls,") + VALLS
    finding = only(government(tmp_path, people=people), "form-of-address")
    assert finding.record == "laurent-fabius"
    assert finding.letter_line == 6
    assert finding.message == (
        "'Mr Valls' names record 'manuel-valls', another recipient of this batch, "
        "not this recipient"
    )


def test_vocative_with_another_recipients_office_names_that_recipient(tmp_path: Path) -> None:
    template = LETTER.replace("{{ recipient.form_of_address }}", "Mr Prime Minister")
    finding = only(government(tmp_path, template=template), "form-of-address")
    assert finding.letter_line == 10
    assert finding.message == (
        "'Mr Prime Minister' addresses the office 'Prime Minister', but this recipient is "
        "Minister of Foreign Affairs ('Prime Minister' is the office of record 'manuel-valls')"
    )


def test_generic_and_own_forms_of_address_are_not_flagged(tmp_path: Path) -> None:
    template = LETTER.replace(
        "I call on you", "Your Excellency, Madam, Sir, I call on you, Minister,"
    ).replace("{{ recipient.salutation }}", "Dear Sir or Madam,")
    assert "form-of-address" not in codes(government(tmp_path, template=template))


def test_excellency_for_one_recipient_is_not_for_another(tmp_path: Path) -> None:
    ambassador = """\
- id: ambassador
  honorific: Mr
  name: Jean Dupont
  title: Ambassador of France
  salutation: Your Excellency,
  form_of_address: Your Excellency
  address: [1 Rue X, 75001 Paris]
  organisation: Embassy of France
"""
    template = LETTER.replace("{{ recipient.salutation }}", "Your Excellency,")
    report = government(tmp_path, template=template, people=FABIUS + ambassador)
    finding = only(report, "form-of-address")
    assert finding.severity == "warning"
    assert finding.record == "laurent-fabius"
    assert "record 'ambassador'" in finding.message


def test_address_block_with_another_recipients_ministry_is_a_leak(tmp_path: Path) -> None:
    people = FABIUS.replace("- 37, Quai d'Orsay", "- Hôtel de Matignon\n    - 37, Quai d'Orsay")
    report = government(tmp_path, people=people + VALLS)
    leak = only(report, "leak")
    assert (leak.severity, leak.record, leak.letter_line) == ("warning", "laurent-fabius", 3)
    assert "organisation of record 'manuel-valls'" in leak.message


def test_address_block_with_another_recipients_city_is_a_leak(tmp_path: Path) -> None:
    lyon = VALLS.replace("75007 Paris", "69001 Lyon")
    people = FABIUS.replace("75700 Paris 07SP", "69002 Lyon") + lyon
    people = people.replace(
        "form_of_address: Minister\n", "form_of_address: Minister\n  city: Paris\n", 1
    )
    finding = only(government(tmp_path, people=people), "leak")
    assert finding.record == "laurent-fabius"
    assert "the city of record 'manuel-valls'" in finding.message


def test_template_text_naming_a_recipient_is_a_leak_for_the_others(tmp_path: Path) -> None:
    template = LETTER.replace("Ana Gomes", "Ana Gomes\ncc: Manuel Valls")
    finding = only(government(tmp_path, template=template), "leak")
    assert finding.letter_line == 15
    assert "names record 'manuel-valls'" in finding.message
    assert "in 1 letter(s) to others (e.g. 'laurent-fabius')" in finding.message


def test_identical_letters_when_paragraphs_promise_personalisation(tmp_path: Path) -> None:
    template = LETTER.replace("Yours sincerely,", "{{ recipient.paragraph }}\n\nYours sincerely,")
    same = (FABIUS + VALLS).replace(
        "form_of_address:", "paragraph: We met in May.\n  form_of_address:"
    )
    finding = only(government(tmp_path, template=template, people=same), "same-letters")
    assert finding.severity == "info"
    assert "recipient.paragraph" in finding.message
    different = FABIUS.replace("form_of_address:", "paragraph: We met.\n  form_of_address:")
    different += VALLS.replace("form_of_address:", "paragraph: Thank you.\n  form_of_address:")
    assert "same-letters" not in codes(government(tmp_path, template=template, people=different))


# -- exit codes and render -------------------------------------------------------------------


def test_warnings_exit_0_unless_strict(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER.replace("Ana Gomes", "cc: Manuel Valls"))
    people = write(tmp_path / "people.yaml", FABIUS + VALLS)
    result = runner.invoke(cli, ["check", str(template), str(people)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("warning: other recipients named (1)\n")
    strict = runner.invoke(cli, ["check", str(template), str(people), "--strict"])
    assert strict.exit_code == 1


def test_report_groups_every_problem_at_once(runner: CliRunner, tmp_path: Path) -> None:
    template = LETTER.replace("Ana Gomes", "TODO")
    template = template.replace("{{ recipient.salutation }}", "Dear Prime Minister,")
    template = write(tmp_path / "letter.txt.j2", template)
    people_file = write(tmp_path / "people.yaml", FABIUS + FABIUS.replace("laurent-", ""))
    result = runner.invoke(cli, ["check", str(template), str(people_file)])
    assert result.exit_code == 1
    headers = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert headers == [
        "error: leftover placeholders (1)",
        "error: forms of address (1)",
        "warning: the same person twice (1)",
        "info: unused record fields (1)",
        "2 of 2 letter(s) rendered; 2 error(s), 1 warning(s), 1 note(s)",
    ]
    assert "(also in 1 other letter(s): fabius)" in result.stdout


def test_render_refuses_to_write_when_check_finds_an_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    people = write(tmp_path / "fabius.yaml", FABIUS)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["render", str(SEED_LETTER), str(people), "-o", str(out)])
    assert result.exit_code == 1
    assert not out.exists()
    assert result.stderr.startswith(f"{people}:1: record 'laurent-fabius': letter line 19: error: ")
    assert "refusing to write: " in result.stderr
    assert "--no-check" in result.stderr

    forced = runner.invoke(
        cli, ["render", str(SEED_LETTER), str(people), "-o", str(out), "--no-check"]
    )
    assert forced.exit_code == 0, forced.output
    assert "warning: --no-check" in forced.stderr
    text = (out / "laurent-fabius.txt").read_text(encoding="utf-8")
    assert "Mr Prime Minister, I call on you" in text


def test_render_prints_check_warnings_and_writes(runner: CliRunner, tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER.replace("Ana Gomes", "cc: Manuel Valls"))
    people = write(tmp_path / "people.yaml", FABIUS + VALLS)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["render", str(template), str(people), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: the template's own text names record 'manuel-valls'" in result.stderr
    assert (out / "laurent-fabius.txt").read_text(encoding="utf-8").endswith("cc: Manuel Valls\n")


def test_the_signatorys_own_offices_are_not_forms_of_address(tmp_path: Path) -> None:
    sender = write(
        tmp_path / "me.yaml",
        "name: Ana Gomes\nrole: Vice-President of the Committee on Petitions\n",
    )
    template = LETTER.replace(
        "Yours sincerely,\n\nAna Gomes", "Thank you.\n\n{{ sender.name }}\n{{ sender.role }}, S&D"
    )
    report = government(tmp_path, template=template, sender=sender)
    assert report.findings == []


COMMISSION = """\
{{ recipient.first_name }} {{ recipient.last_name }}
{{ recipient.title }}
European Commission
Rue de la Loi 200
1049 Brussels

{{ recipient.salutation }}

I write to you about the case. The Prime Minister of Kazakhstan, Mr Massimov, and President \
Nazarbayev have ignored the calls of the European Parliament.

As the Vice-President of the Committee on Foreign Affairs, Mr Brok, said last week: \
"Mr President, this must stop."

{{ recipient.form_of_address }}, I urge you to raise the case.

With best wishes,

Ana Gomes
Member of the European Parliament
"""

COMMISSIONERS = """\
id,first_name,last_name,title,salutation,form_of_address
jourova,Věra,Jourová,Commissioner for Justice,"Dear Commissioner,",Commissioner
vestager,Margrethe,Vestager,Executive Vice-President for a Europe Fit for the Digital Age,\
"Dear Executive Vice-President,",Madam Executive Vice-President
vonderleyen,Ursula,von der Leyen,President of the European Commission,"Dear President,",\
Madam President
borrell,Josep,Borrell,High Representative of the Union for Foreign Affairs and Security \
Policy / Vice-President,"Dear High Representative,",High Representative
"""


def test_offices_named_about_third_persons_are_not_forms_of_address(tmp_path: Path) -> None:
    # Appositions ("The Prime Minister of Kazakhstan, Mr Massimov,") and quoted speech
    # ("Mr President, this must stop.") name other people; none is this letter's vocative.
    template = write(tmp_path / "letter.txt.j2", COMMISSION)
    people = write(tmp_path / "commission.csv", COMMISSIONERS)
    report = run_check(template, people)
    assert report.letters == 4
    assert report.findings == []


def test_every_form_of_address_in_a_line_is_checked(tmp_path: Path) -> None:
    template = COMMISSION.replace(
        "{{ recipient.form_of_address }}, I urge you",
        "As Mr Brok said, I urge you, Madam President,",
    )
    report = run_check(
        write(tmp_path / "letter.txt.j2", template), write(tmp_path / "c.csv", COMMISSIONERS)
    )
    flagged = {
        name
        for f in report.findings
        if f.code == "form-of-address"
        for name in [f.record, *f.others]
    }
    assert flagged == {"jourova", "vestager", "borrell"}


FRENCH = """\
{{ recipient.honorific }} {{ recipient.name }}
{{ recipient.title }}
{{ recipient.organisation }}

{{ recipient.salutation }}

Je me permets d'attirer votre attention sur le cas de M. Abliazov. Le Premier ministre, \
M. Valls, a été saisi. Monsieur le Président de la République, François Hollande, l'a été aussi.

{{ recipient.form_of_address }}, je vous demande de refuser l'extradition.

Je vous prie d'agréer, {{ recipient.form_of_address }}, l'expression de ma haute considération.

Ana Gomes
"""

FRENCH_MINISTERS = """\
- id: cazeneuve
  honorific: Monsieur
  name: Bernard Cazeneuve
  title: Ministre de l'Intérieur
  organisation: Ministère de l'Intérieur
  salutation: Monsieur le Ministre,
  form_of_address: Monsieur le Ministre
- id: taubira
  honorific: Madame
  name: Christiane Taubira
  title: Garde des Sceaux, ministre de la Justice
  organisation: Ministère de la Justice
  salutation: Madame la Garde des Sceaux,
  form_of_address: Madame la Garde des Sceaux
"""


def test_french_letters_are_clean_and_their_slips_found(tmp_path: Path) -> None:
    people = write(tmp_path / "ministres.yaml", FRENCH_MINISTERS)
    clean = run_check(write(tmp_path / "lettre.txt.j2", FRENCH), people)
    assert clean.findings == []

    slip = FRENCH.replace(
        "{{ recipient.form_of_address }}, je vous demande",
        "Madame la Garde des Sceaux, je vous demande",
    )
    finding = only(run_check(write(tmp_path / "slip.txt.j2", slip), people), "form-of-address")
    assert (finding.record, finding.letter_line) == ("cazeneuve", 9)
    assert "'Garde des Sceaux' is the office of record 'taubira'" in finding.message


def test_a_record_value_naming_another_recipient_is_a_leak(tmp_path: Path) -> None:
    template = LETTER.replace("Yours sincerely,", "{{ recipient.note }}\n\nYours sincerely,")
    people = FABIUS.replace(
        "form_of_address:", "note: As I wrote to Manuel Valls.\n  form_of_address:"
    )
    people += VALLS.replace(
        "form_of_address:", "note: Thank you for your reply.\n  form_of_address:"
    )
    leak = only(government(tmp_path, template=template, people=people), "leak")
    assert (leak.record, leak.letter_line) == ("laurent-fabius", 12)
    assert leak.message == "names record 'manuel-valls', another recipient of this batch"


def test_an_unreadable_file_is_reported_and_the_others_still_checked(tmp_path: Path) -> None:
    template = write(tmp_path / "letter.txt.j2", LETTER)
    broken = write(tmp_path / "broken.yaml", "- id: a\n  name: [unclosed\n")
    people = write(
        tmp_path / "people.yaml", FABIUS.replace("of_address: Minister", "of_address: TODO")
    )
    report = run_check(template, broken, people)
    assert [(f.code, f.path, f.line) for f in report.errors] == [
        ("recipients-file", broken, 3),
        ("placeholder", people, 1),
    ]


def test_letters_laid_out_alike_are_checked_as_the_first_one(tmp_path: Path) -> None:
    # After the first letter of a layout, only the lines that print values are looked at
    # anew (the checker's shortcut). Slips in later letters must be found as without that shortcut.
    people = []
    for number in range(12):
        base = (FABIUS if number % 2 else VALLS).replace("id: ", f"id: p{number}-", 1)
        base = base.replace("name: ", f"name: Person{number} ", 1)
        people.append(base)
    people[5] = people[5].replace("Dear Minister,", "Dear Mr Person4 Valls,")
    people[6] = people[6].replace("57, rue de Varenne", "TODO")
    people[7] = people[7].replace("37, Quai d'Orsay", "Hôtel de Matignon")
    people[9] = people[9].replace("37, Quai d'Orsay", "c/o Person8 Manuel Valls")
    template = LETTER.replace("I write about", "Excellency, I write about").replace(
        "{{ recipient.form_of_address }}, I call", "Mr Prime Minister, I call"
    )

    recipients = write(tmp_path / "people.yaml", "".join(people))
    options = MergeOptions(
        template=write(tmp_path / "letter.txt.j2", template), recipients=[recipients]
    )

    def report(shortcuts: bool) -> list[str]:
        checker = Checker(Merge(options), shortcuts=shortcuts)
        for _ in checker.letters():
            pass
        return checker.finish().lines()

    planned = report(shortcuts=True)
    # Without the shortcut: every line of every letter is looked at.
    assert report(shortcuts=False) == planned
    found = [
        line.split(": letter line ")[0].split(": record ")[1]
        for line in planned
        if ": record" in line
    ]
    assert found == [
        "'p6-manuel-valls'",  # TODO in the address
        "'p1-laurent-fabius'",  # Mr Prime Minister, and in every Fabius letter after it
        "'p5-laurent-fabius'",  # a salutation naming Valls
        "'p7-laurent-fabius'",  # Matignon in the address block
        "'p9-laurent-fabius'",  # another recipient's name in the address block
    ]
    assert any("also in 5 other letter(s)" in line and "p11-" in line for line in planned)


def test_a_value_holding_a_control_character_is_an_error_for_every_format(runner, tmp_path):
    # A vertical tab pasted from an Excel cell: a Word document cannot hold it and a text
    # letter would not show it. `check` lists every record holding one; `render` refuses.
    people = "".join(f"- {{id: r{i}, name: Person {i}}}\n" for i in range(5))
    people += '- {id: pasted, name: "Line\\vbreak"}\n'
    recipients = write(tmp_path / "people.yaml", people)
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n\nBody.\n")
    checked = runner.invoke(cli, ["check", str(template), str(recipients)])
    assert checked.exit_code == 1
    assert "characters no letter can hold (1)" in checked.output
    assert (
        f"{recipients}:6: record 'pasted': error: field 'recipient.name': holds U+000B"
        in checked.output
    )
    out = tmp_path / "out"
    rendered = runner.invoke(cli, ["render", str(template), str(recipients), "-o", str(out)])
    assert rendered.exit_code == 1
    assert "record 'pasted': error: field 'recipient.name': holds U+000B" in rendered.output
    assert not out.exists()


def test_a_control_character_the_template_holds_is_its_own_business(runner, tmp_path):
    # A form feed in a text template is a page break its author meant.
    recipients = write(tmp_path / "people.yaml", "- {id: one, name: One}\n")
    template = write(tmp_path / "letter.txt.j2", "Dear {{ recipient.name }},\n\x0cPage two.\n")
    checked = runner.invoke(cli, ["check", str(template), str(recipients)])
    assert "U+000C" not in checked.output
    assert checked.exit_code == 0, checked.output


def test_a_control_character_in_the_signatory_profile_is_found_in_every_letter(runner, tmp_path):
    people = "".join(f"- {{id: r{i}, name: Person {i}}}\n" for i in range(3))
    recipients = write(tmp_path / "people.yaml", people)
    write(tmp_path / "me.yaml", 'name: "Mady\\vDelvaux"\nrole: "MEP"\n')
    template = write(
        tmp_path / "letter.txt.j2",
        "---\nsender: me.yaml\n---\nDear {{ recipient.name }},\n\n{{ sender.name }}\n",
    )
    checked = runner.invoke(cli, ["check", str(template), str(recipients)])
    assert checked.exit_code == 1
    assert "field 'sender.name': holds U+000B" in checked.output
    assert "remove it (also in 2 other letter(s): r1, r2)" in checked.output
