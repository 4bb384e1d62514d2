"""What a Word letter says about itself: its title, its author, when it was made.

Word, the PDF a letter becomes and the recipient's file browser show these properties. A letter
must not carry its letterhead's ("Letterhead", dated the day the letterhead was made, credited
to the program that made it): it is titled by its subject, authored by its signatory, dated by
the letters' own date (so that the same inputs give the same bytes), and names lettergen as
the program.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

CORE = "docProps/core.xml"
APP = "docProps/app.xml"


def core_xml(title: str, author: str, when: dt.datetime) -> bytes:
    """The core properties part of a letter."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>"
        f"<cp:lastModifiedBy>{escape(author)}</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def app_xml() -> bytes:
    """The extended properties part of a letter: the program that wrote it, nothing invented."""
    return (
        b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'extended-properties"><Application>lettergen</Application></Properties>'
    )
