"""Write the letterheads shipped in this folder, so that they can be made again.

    python templates/make_letterheads.py

letterhead.docx is the clean default (A4, 2.5 cm margins, 10 pt Arial, the styles "Date" and
"Signature Block"); letterhead-delvaux.docx adds the signatory's name to the header and her
offices to the footer, from mady-delvaux-stehres.yaml; letterhead-delvaux.fr.docx is the same in
French (the profile's French values), which the French letters take.
"""

from __future__ import annotations

from pathlib import Path

from lettergen.inputs.sender import localised, read_sender
from lettergen.writers.letterhead_builder import build_letterhead

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Write the letterheads next to this script."""
    (HERE / "letterhead.docx").write_bytes(build_letterhead())
    sender = read_sender(HERE / "mady-delvaux-stehres.yaml")
    (HERE / "letterhead-delvaux.docx").write_bytes(build_letterhead(localised(sender, "en")))
    french = build_letterhead(localised(sender, "fr"))
    (HERE / "letterhead-delvaux.fr.docx").write_bytes(french)


if __name__ == "__main__":
    main()
