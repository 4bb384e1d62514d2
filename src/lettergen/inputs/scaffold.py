"""``lettergen init``: a new campaign folder that renders as it is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lettergen.errors import CampaignError

# Starter file (in the package's starter/ folder) -> where it goes in the new campaign.
STARTER_FILES = {
    "lettergen.yaml": "lettergen.yaml",
    "letter.txt.j2": "templates/letter.txt.j2",
    "sender.yaml": "templates/sender.yaml",
    "recipients.yaml": "recipients/recipients.yaml",
}
# How many entries of a non-empty folder the refusal names.
_LISTED = 3


def init_campaign(folder: Path) -> list[Path]:
    """Create a campaign in ``folder`` (new or empty) and return the files written.

    Raises :class:`CampaignError` when ``folder`` is a file or holds anything at all: starting
    a campaign must never overwrite, or mix with, someone's files.
    """
    if folder.exists() and not folder.is_dir():
        raise CampaignError("is a file, not a folder; name a new or empty folder", path=folder)
    if folder.is_dir():
        entries = sorted(p.name for p in folder.iterdir())
        if entries:
            listed = ", ".join(entries[:_LISTED]) + (", ..." if len(entries) > _LISTED else "")
            raise CampaignError(
                f"folder is not empty ({listed}); lettergen init makes a campaign in a new or "
                "empty folder",
                path=folder,
            )
    starter = resources.files("lettergen") / "starter"
    written: list[Path] = []
    try:
        for source, destination in STARTER_FILES.items():
            target = folder / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(starter.joinpath(source).read_bytes())
            written.append(target)
    except OSError as exc:
        raise CampaignError(f"cannot create the campaign: {exc.strerror}", path=folder) from None
    return written
