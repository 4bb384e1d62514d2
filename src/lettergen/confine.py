"""Which files a template may read: only files inside its own folder or its campaign's.

Templates come from other people, in shared folders and archives that carry symbolic links. A
file a template names - an ``{% include %}``, the front matter's ``sender:`` and ``letterhead:``,
the signature image of a profile so named - is read into every letter the user sends, so a
template naming ``~/.config/app/secrets.yaml`` (or a link to it) would print its values to the
recipients. The rule, in this one place: the path is resolved, links and ``..`` included, and
must lead inside the template's folder or the campaign's (the folder of the ``lettergen.yaml``
the run read); else the run stops with an error naming the key and the path. A language
variant, found by its name beside the template, must lead inside the template's folder likewise.
What the user types (``--sender``, ``--letterhead``, the campaign file's own keys) may name any
file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path

from lettergen.errors import LettergenError

# What to do instead, by front-matter key.
_ADVICE = {
    "sender": "give a profile kept elsewhere on the command line with --sender FILE",
    "letterhead": "give a letterhead kept elsewhere on the command line with --letterhead FILE",
    "signature": "keep the signature image beside the profile",
    "include": "copy the file into the template's folder",
    "variant": "put a copy of the file there in place of the link",
}


def outside(path: Path, folders: Sequence[Path]) -> Path | None:
    """Return where ``path`` leads (links resolved) if that is outside every one of
    ``folders``; None when it is inside one."""
    real = Path(os.path.realpath(path))
    for folder in folders:
        if real.is_relative_to(os.path.realpath(folder)):
            return None
    return real


def allowed_folders(template: Path, campaign_dir: Path | None) -> list[Path]:
    """Return the folders whose files a template at ``template`` may name."""
    folders = [template.parent]
    if campaign_dir is not None:
        folders.append(campaign_dir)
    return folders


def confined(
    value: str,
    folders: Sequence[Path],
    *,
    key: str,
    named_in: Path | None,
    error: type[LettergenError],
    base: Path | None = None,
) -> Path:
    """Return the file ``value`` names (relative to ``base``, default the first of
    ``folders``), or raise ``error`` naming ``key`` and the path when it leads outside all of
    them."""
    path = (base or folders[0]) / value
    leads = outside(path, folders)
    if leads is None:
        return path
    raise error(
        f"{value} leads to {leads}, outside {_described(folders)}: the files a template uses "
        f"are read only from inside {'it' if len(folders) == 1 else 'them'}; {_ADVICE[key]}",
        path=named_in,
        field=key,
    )


def _described(folders: Sequence[Path]) -> str:
    names = ", ".join(str(folder) for folder in folders)
    if len(folders) == 1:
        return f"the template's folder ({names})"
    return f"the template's and the campaign's folders ({names})"


class IncludeLoader(jinja2.FileSystemLoader):
    """Jinja's loader for ``{% include %}`` and ``{% import %}``, reading only files that lead
    inside the template's folder once links are resolved (Jinja's own refuses ``..`` alone).

    A refused include is a sandbox refusal, which the template's error names with its line.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        leads = outside(path, [self.folder]) if os.path.lexists(path) else None
        if leads is not None:
            raise SecurityError(
                f"include {template!r} leads to {leads}, outside {_described([self.folder])}: "
                f"includes are read only from there; {_ADVICE['include']}"
            )
        return super().get_source(environment, template)
