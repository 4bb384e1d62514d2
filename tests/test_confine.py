"""Staying inside the output folder: no write goes through a link planted there by someone else.

The output folder may be writable by a second local user (a shared folder), who can plant links
at every name lettergen writes (its letters, ``manifest.csv``, its temporary names). Nothing
outside the folder may change, whatever is planted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lettergen.cli import cli
from lettergen.errors import OutputError
from lettergen.output.place import OutputFolder
from tests.docx_helpers import docx_text, png

from .conftest import ROOT, snapshot, write

PEOPLE = "".join(f"- {{id: r{i:03}, name: Person {i}}}\n" for i in range(150))
TEMPLATE = "Dear {{ recipient.name }},\n\nThank you.\n"
SECRET = "the other user's file, which must stay as it is\n"


def _render(runner, tmp_path: Path, out: Path, *more: str):
    template = write(tmp_path / "in" / "letter.txt.j2", TEMPLATE)
    recipients = write(tmp_path / "in" / "people.yaml", PEOPLE)
    return runner.invoke(cli, ["render", str(template), str(recipients), "-o", str(out), *more])


def _outside(tmp_path: Path) -> Path:
    """A folder outside the output folder, holding a file a link may point to."""
    write(tmp_path / "outside" / "target.txt", SECRET)
    return tmp_path / "outside"


def _plant(out: Path, names: list[str], target: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / name).symlink_to(target)


def _predictable(name: str) -> list[str]:
    """The temporary names lettergen used to write through: ``.<name>.<pid>.tmp``."""
    pids = {os.getpid(), *range(os.getpid() - 3, os.getpid() + 200)}
    return [f".{name}.{pid}.tmp" for pid in sorted(pids)]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("formats", [["-f", "txt"], ["-f", "txt", "-f", "docx"]])
def test_links_planted_at_every_name_change_nothing_outside(runner, tmp_path, jobs, formats):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "shared"
    suffixes = [formats[i + 1] for i in range(0, len(formats), 2)]
    letters = [f"r{i:03}.{suffix}" for i in (0, 1, 77, 149) for suffix in suffixes]
    planted = [*letters, *(t for name in letters[:2] for t in _predictable(name))]
    _plant(out, planted, outside / "target.txt")
    # A link to a file that does not exist yet: writing through it would create it.
    (out / "r002.txt").symlink_to(outside / "created.txt")

    result = _render(runner, tmp_path, out, *formats, "-j", jobs, "--force")

    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert not (outside / "created.txt").exists()
    for name in [*letters, "r002.txt", "manifest.csv"]:
        assert not (out / name).is_symlink(), name  # the link itself was replaced
    assert (out / "r077.txt").read_text(encoding="utf-8") == "Dear Person 77,\n\nThank you.\n"
    if "docx" in suffixes:
        assert docx_text(out / "r149.docx") == "Dear Person 149,\n\nThank you.\n"
    # The planted temporary names are still links (nothing opened them), and nothing else is
    # left: no temporary of the run, no kept copy of a replaced link.
    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert left == sorted(planted[len(letters) :])
    assert all((out / name).is_symlink() for name in left)


def test_a_link_at_a_letter_name_is_an_existing_letter(runner, tmp_path):
    outside = _outside(tmp_path)
    out = tmp_path / "out"
    _plant(out, ["r005.txt"], outside / "target.txt")
    (out / "r006.txt").symlink_to(outside / "missing.txt")  # dangling: still in the way

    result = _render(runner, tmp_path, out, "-f", "txt")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        f"{out}: 2 letter(s) already exist: {out / 'r005.txt'}, {out / 'r006.txt'}; "
        "use --force to overwrite them\n"
    )
    assert sorted(os.listdir(out)) == ["r005.txt", "r006.txt"]
    assert (outside / "target.txt").read_text(encoding="utf-8") == SECRET


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_manifest_that_is_a_link_is_an_error_naming_it(runner, tmp_path, jobs):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    _plant(out, ["manifest.csv"], outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "txt", "-j", jobs)

    _assert_refused_link(result, out, "; nothing was written: the output folder is as it was")
    assert snapshot(outside) == before


def test_a_manifest_that_is_a_link_is_not_read_to_skip_letters(runner, tmp_path):
    outside = _outside(tmp_path)
    out = tmp_path / "out"
    _plant(out, ["manifest.csv"], outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "txt", "--skip-unchanged")

    _assert_refused_link(result, out, "")


def _assert_refused_link(result, out: Path, then: str) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        f"{out / 'manifest.csv'}: is a symbolic link or not a plain file; lettergen "
        "reads and writes only plain files in the output folder: remove it, or choose another "
        f"output folder with -o{then}\n"
    )
    assert os.listdir(out) == ["manifest.csv"]


def test_a_folder_swapped_for_a_link_mid_run_is_written_no_further(tmp_path):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    folder = OutputFolder(out).open()
    folder.put("a.txt", b"first letter\n")
    # Another user moves the folder away and puts a link to their folder in its place.
    out.rename(tmp_path / "moved")
    out.symlink_to(outside)
    folder.put("b.txt", b"second letter\n")
    with pytest.raises(OutputError) as caught:
        folder.check()
    folder.take_back()
    assert str(caught.value) == (
        f"{out}: the output folder was moved, removed or replaced during the run"
    )
    assert snapshot(outside) == before
    assert os.listdir(tmp_path / "moved") == []


def test_a_combined_document_is_not_written_through_a_link(runner, tmp_path):
    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    combined = tmp_path / "all.docx"
    for name in _predictable("all.docx"):
        (tmp_path / name).symlink_to(outside / "target.txt")

    result = _render(runner, tmp_path, out, "-f", "docx", "--combine", str(combined))

    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert not combined.is_symlink()
    assert docx_text(combined).startswith("Dear Person 0,")


# Reading: a template names only files inside its folder (or its campaign's), links resolved.

PERSON = "- {id: a, name: Ann}\n"
LETTERHEAD = ROOT / "templates" / "letterhead.docx"
TOKEN = "ghp_theTokenOfTheUser"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """A working folder without lettergen.yaml, and a folder of the user's secrets outside the
    template's."""
    monkeypatch.chdir(write(tmp_path / "work" / "README", "").parent)
    write(tmp_path / "secrets" / "app.yaml", f"name: Not a signatory\ntoken: {TOKEN}\n")
    write(tmp_path / "secrets" / "notes.txt", f"token={TOKEN}\n")
    return tmp_path / "secrets"


def _run(runner, template: Path, tmp_path: Path, *more: str):
    people = write(tmp_path / "people.yaml", PERSON)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["render", str(template), str(people), "-o", str(out), *more])
    assert "Traceback" not in result.output
    return result, out


@pytest.mark.parametrize("how", ["file", "folder"])
def test_an_include_through_a_link_out_of_the_folder_is_refused(runner, tmp_path, elsewhere, how):
    folder = tmp_path / "t"
    folder.mkdir()
    if how == "file":
        (folder / "notes.txt").symlink_to(elsewhere / "notes.txt")
        name = "notes.txt"
    else:
        (folder / "parts").symlink_to(elsewhere)
        name = "parts/notes.txt"
    template = write(
        folder / "letter.txt.j2", f"Dear {{{{ recipient.name }}}},\n{{% include '{name}' %}}\n"
    )

    _refused(
        *_run(runner, template, tmp_path),
        f"{template}:2: record 'a': refused by the template sandbox: include '{name}' leads to "
        f"{elsewhere / 'notes.txt'}, outside the template's folder ({folder}): includes are read "
        "only from there; copy the file into the template's folder\n",
    )


def _refused(result, out: Path, message: str) -> None:
    """Assert that the run stopped with ``message``, wrote nothing and printed no secret."""
    assert result.exit_code == 1
    assert result.stderr == message
    assert TOKEN not in result.output
    assert not out.exists()


def test_an_include_through_a_link_inside_the_folder_is_read(runner, tmp_path, elsewhere):
    folder = tmp_path / "t"
    write(folder / "parts" / "closing.txt", "With regards")
    (folder / "closing.txt").symlink_to(folder / "parts" / "closing.txt")
    template = write(
        folder / "letter.txt.j2", "Dear {{ recipient.name }},\n{% include 'closing.txt' %}\n"
    )

    result, out = _run(runner, template, tmp_path)

    assert result.exit_code == 0, result.output
    assert (out / "a.txt").read_text(encoding="utf-8") == "Dear Ann,\nWith regards\n"


def _sender_template(folder: Path, sender: str) -> Path:
    return write(
        folder / "letter.txt.j2",
        f"---\nsender: {sender}\n---\nDear {{{{ recipient.name }}}},\n{{{{ sender.token }}}}\n",
    )


@pytest.mark.parametrize("kind", ["relative", "absolute", "link"])
def test_a_front_matter_sender_outside_the_folder_is_refused(runner, tmp_path, elsewhere, kind):
    folder = tmp_path / "t"
    folder.mkdir()
    value = {"relative": "../secrets/app.yaml", "absolute": str(elsewhere / "app.yaml")}.get(kind)
    if value is None:
        (folder / "me.yaml").symlink_to(elsewhere / "app.yaml")
        value = "me.yaml"
    template = _sender_template(folder, value)

    _refused(
        *_run(runner, template, tmp_path),
        f"{template}: field 'sender': {value} leads to {elsewhere / 'app.yaml'}, outside the "
        f"template's folder ({folder}): the files a template uses are read only from inside "
        "it; give a profile kept elsewhere on the command line with --sender FILE\n",
    )


def test_a_sender_typed_on_the_command_line_may_be_anywhere(runner, tmp_path, elsewhere):
    template = _sender_template(tmp_path / "t", "../secrets/app.yaml")

    result, out = _run(runner, template, tmp_path, "--sender", str(elsewhere / "app.yaml"))

    assert result.exit_code == 0, result.output
    assert (out / "a.txt").read_text(encoding="utf-8") == f"Dear Ann,\n{TOKEN}\n"


def test_a_front_matter_sender_may_be_in_the_campaign_folder(runner, tmp_path, elsewhere):
    campaign = tmp_path / "campaign"
    write(campaign / "me.yaml", "name: Ann Signatory\ntoken: campaign-value\n")
    template = _sender_template(campaign / "templates", "../me.yaml")
    people = write(campaign / "people.yaml", PERSON)
    write(
        campaign / "lettergen.yaml", "template: templates/letter.txt.j2\nrecipients: people.yaml\n"
    )
    out = tmp_path / "out"

    inside = runner.invoke(
        cli, ["render", "--campaign", str(campaign / "lettergen.yaml"), "-o", str(out)]
    )
    alone = runner.invoke(
        cli, ["render", str(template), str(people), "-o", str(tmp_path / "alone")]
    )

    assert inside.exit_code == 0, inside.output
    assert (out / "a.txt").read_text(encoding="utf-8") == "Dear Ann,\ncampaign-value\n"
    assert alone.exit_code == 1
    assert alone.stderr.startswith(f"{template}: field 'sender': ../me.yaml leads to ")


def test_a_file_that_is_no_profile_is_not_quoted(runner, tmp_path, elsewhere):
    secrets = write(elsewhere / "tokens.yaml", f"- {TOKEN}\n- password: hunter2\n")
    template = write(tmp_path / "t" / "letter.txt.j2", "Dear {{ recipient.name }},\n")

    result, out = _run(runner, template, tmp_path, "--sender", str(secrets))

    assert result.exit_code == 1
    assert result.stderr == (
        f"{secrets}: not a signatory profile: a profile is a YAML mapping of fields "
        "(name: ..., role: ...)\n"
    )
    assert not out.exists()


def test_a_front_matter_letterhead_outside_the_folder_is_refused(runner, tmp_path, elsewhere):
    shutil.copyfile(LETTERHEAD, elsewhere / "head.docx")
    folder = tmp_path / "t"
    template = write(
        folder / "letter.txt.j2",
        "---\nletterhead: ../secrets/head.docx\n---\nDear {{ recipient.name }},\n",
    )

    _refused(
        *_run(runner, template, tmp_path, "-f", "docx"),
        f"{template}: field 'letterhead': ../secrets/head.docx leads to {elsewhere / 'head.docx'}, "
        f"outside the template's folder ({folder}): the files a template uses are read only "
        "from inside it; give a letterhead kept elsewhere on the command line with "
        "--letterhead FILE\n",
    )
    # Typed by the user, the same letterhead is used.
    head = str(elsewhere / "head.docx")
    typed, out = _run(runner, template, tmp_path, "-f", "docx", "--letterhead", head)
    assert typed.exit_code == 0, typed.output
    assert (out / "a.docx").is_file()


@pytest.mark.parametrize("typed", [False, True])
def test_a_signature_image_outside_the_folder_of_a_named_profile_is_refused(
    runner, tmp_path, elsewhere, typed
):
    (elsewhere / "photo.png").write_bytes(png(40, 20))
    folder = tmp_path / "t"
    profile = write(
        folder / "me.yaml", "name: Ann Signatory\ntoken: x\nsignature: ../secrets/photo.png\n"
    )
    template = _sender_template(folder, "me.yaml")

    more = ["--sender", str(profile)] if typed else []
    result, out = _run(runner, template, tmp_path, "-f", "docx", *more)

    if typed:  # the user's own profile: its image may be anywhere
        assert result.exit_code == 0, result.output
        return
    _refused(
        result,
        out,
        f"{profile}: field 'signature': ../secrets/photo.png leads to {elsewhere / 'photo.png'}, "
        f"outside the template's folder ({folder}): the files a template uses are read only "
        "from inside it; keep the signature image beside the profile\n",
    )


def test_a_language_variant_that_is_a_link_out_of_the_folder_is_refused(
    runner, tmp_path, elsewhere
):
    folder = tmp_path / "t"
    template = write(folder / "letter.txt.j2", "Dear {{ recipient.name }},\n")
    (folder / "letter.fr.txt.j2").symlink_to(elsewhere / "notes.txt")
    people = write(tmp_path / "people.yaml", "- {id: a, name: Ann, language: fr}\n")
    out = tmp_path / "out"

    result = runner.invoke(cli, ["render", str(template), str(people), "-o", str(out)])

    _refused(
        result,
        out,
        f"{folder / 'letter.fr.txt.j2'}: field 'variant': letter.fr.txt.j2 leads to "
        f"{elsewhere / 'notes.txt'}, outside the template's folder ({folder}): the files a "
        "template uses are read only from inside it; put a copy of the file there in place of "
        "the link\n",
    )


@pytest.mark.parametrize("there", [True, False])
def test_a_folder_swapped_for_a_link_between_the_passes_is_not_written(
    runner, tmp_path, monkeypatch, there
):
    """The output folder (or none, yet) as the run starts is the one written to, or none."""
    from lettergen.output import run

    outside = _outside(tmp_path)
    before = snapshot(outside)
    out = tmp_path / "out"
    if there:
        out.mkdir()
    second_pass = run._second_pass

    def swapped(*args, **kwargs):
        # Between the passes, another user puts a link to their folder at the path.
        if out.exists():
            out.rename(tmp_path / "moved")
        out.symlink_to(outside)
        return second_pass(*args, **kwargs)

    monkeypatch.setattr(run, "_second_pass", swapped)
    result = _render(runner, tmp_path, out, "-f", "txt")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr == (
        f"{out}: the output folder was moved, removed or replaced during the run\n"
    )
    assert snapshot(outside) == before


def test_a_manifest_that_is_not_csv_is_an_error_not_a_traceback(runner, tmp_path):
    out = tmp_path / "out"
    write(out / "manifest.csv", "recipient,file\n" + "x" * 200_000 + "\n")

    result = _render(runner, tmp_path, out, "-f", "txt", "--skip-unchanged")

    assert result.exit_code == 1
    assert result.stderr == (
        f"{out / 'manifest.csv'}:2: the manifest cannot be read (field larger than field limit "
        "(131072)): move it aside to start a new one\n"
    )
    assert os.listdir(out) == ["manifest.csv"]


@pytest.mark.parametrize("cut", [30, 60, -12])
def test_a_damaged_signature_image_is_an_error_naming_it(runner, tmp_path, elsewhere, cut):
    folder = tmp_path / "t"
    image = png(40, 20)
    damaged = image[:cut] if cut > 0 else image[:cut] + b"\xae\x42\x60\x82" * 3
    folder.mkdir()
    (folder / "photo.png").write_bytes(damaged)
    write(folder / "me.yaml", "name: Ann Signatory\ntoken: x\nsignature: photo.png\n")
    template = _sender_template(folder, "me.yaml")

    result, out = _run(runner, template, tmp_path, "-f", "docx")

    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"{folder / 'photo.png'}: the signature image is damaged: save it again as a PNG or JPEG\n"
    )
    assert not out.exists()
