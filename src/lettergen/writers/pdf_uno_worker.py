"""The converter lettergen talks to: a small program run by a Python that has LibreOffice's UNO
bindings (Debian's ``python3-uno`` lives in the system's own Python, not in lettergen's).

It is started as ``python3 pdf_uno_worker.py PIPE WAIT``, connects to the LibreOffice listening
on the named pipe ``PIPE`` (giving it ``WAIT`` seconds to start), says ``ready`` and then, for each
line ``["letter.docx", "letter.pdf", bookmarks]`` it reads, converts the one into the other
(with the document's bookmarks as the PDF's named destinations when ``bookmarks`` is true) and
answers with one line: ``ok``, or ``error <the kind of exception>``. When its input closes it
ends LibreOffice too, so that a lettergen killed outright leaves no LibreOffice behind. It
imports nothing of lettergen: it runs in another Python, where only the standard library and
``uno`` are.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

# LibreOffice's names of the filters that read a Word document and write a PDF.
READ_DOCX = "MS Word 2007 XML"
WRITE_PDF = "writer_pdf_Export"


def properties(**values: Any) -> tuple[Any, ...]:
    """The keyword arguments as UNO property values."""
    return tuple(PropertyValue(Name=name, Value=value) for name, value in values.items())


def connect(pipe: str, wait: float) -> Any:
    """Return LibreOffice's desktop, once the listener on ``pipe`` answers."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + wait
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def convert(desktop: Any, source: str, target: str, bookmarks: bool = False) -> None:
    """Convert the Word document ``source`` into the PDF ``target``; with ``bookmarks``, each
    bookmark becomes a named destination (where a combined document's letters begin)."""
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source),
        "_blank",
        0,
        properties(Hidden=True, ReadOnly=True, FilterName=READ_DOCX),
    )
    if document is None:
        raise RuntimeError("LibreOffice could not open the letter")
    try:
        export = properties(FilterName=WRITE_PDF)
        if bookmarks:
            options = properties(ExportBookmarksToPDFDestination=True)
            export += properties(FilterData=uno.Any("[]com.sun.star.beans.PropertyValue", options))
        document.storeToURL(uno.systemPathToFileUrl(target), export)
    finally:
        document.close(True)


def main(argv: list[str]) -> int:
    """Serve conversions read from standard input until it closes."""
    desktop = connect(argv[1], float(argv[2]))
    print("ready", flush=True)
    for line in sys.stdin:
        source, target, bookmarks = json.loads(line)
        try:
            convert(desktop, source, target, bool(bookmarks))
        except Exception as error:  # every failure is the letter's: told back
            # The kind of failure only: LibreOffice's messages name the temporary files.
            reply = f"error {type(error).__name__}"
        else:
            reply = "ok"
        print(reply, flush=True)
    # lettergen is done, or gone (even killed outright): LibreOffice is not left running.
    with contextlib.suppress(Exception):  # it may be gone; lettergen stops it in any case
        desktop.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
