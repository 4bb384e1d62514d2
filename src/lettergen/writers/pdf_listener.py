"""How LibreOffice is started as a listener a UNO program drives: one command line for the run's
converters (:mod:`lettergen.writers.pdf_uno`) and the previews' kept converter
(:mod:`lettergen.writers.pdf_uno_server`, which runs in another Python and imports this module
by its file name: it uses the standard library only).
"""

from __future__ import annotations

from pathlib import Path


def listener_command(soffice: str, profile: Path, pipe: str) -> list[str]:
    """Return the command that starts LibreOffice without a window or a first document, with
    the throw-away ``profile``, listening on the named pipe ``pipe`` (no network port)."""
    return [
        soffice,
        "--headless",
        "--invisible",
        "--norestore",
        "--nolockcheck",
        "--nologo",
        "--nodefault",
        f"-env:UserInstallation={profile.as_uri()}",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
