"""The page budget of printed letters: how many pages each letter takes, and a last page that
holds nothing but the closing and the signature.

A letter meant for one page that runs onto a second looks careless, and a second page holding
only "Yours sincerely," and the signature looks worse. The letters' PDFs (made by LibreOffice)
tell how many pages each has; this module reads that from the PDF bytes and turns what it finds
into findings. Reading the PDFs' text is the writers' job (poppler); this module only judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from lettergen.checks.findings import Finding, Severity
from lettergen.errors import TemplateError

# A page object of a PDF (not the page tree, "/Pages"). LibreOffice writes every object plainly
# (no object streams), so each page is one "/Type /Page" in the file.
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
# A paragraph at least this long is prose of the body; what follows the last one is the
# closing and the signature block (salutation lines, names and roles are short).
PROSE = 80


def count_pages(pdf: bytes) -> int:
    """Return how many pages the PDF ``pdf`` has (its page objects; at least 1)."""
    return max(1, len(_PAGE.findall(pdf)))


def page_budget(meta: Mapping[str, object], path: Path | None = None) -> int | None:
    """Return the front matter's ``pages:`` (the most pages a letter may take), or None when the
    template does not say (then the first letter's page count is the budget)."""
    value = meta.get("pages")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TemplateError(
            f"front matter 'pages' must be a whole number of pages, 1 or more, not {value!r}",
            path=path,
        )
    return value


def closing_block(paragraphs: Iterable[str]) -> list[str]:
    """Return the letter's closing and signature lines: its non-empty paragraphs after the last
    paragraph of prose (one of :data:`PROSE` characters or more)."""
    tail: list[str] = []
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        if len(text) >= PROSE:
            tail = []
        elif text:
            tail.append(text)
    return tail


def only_closing(last_page: str, first_page: str, closing: Sequence[str]) -> bool:
    """Tell whether the text of a letter's ``last_page`` is only its ``closing`` block.

    The lines it begins and ends with in common with the ``first_page`` (the letterhead's
    header and footer) are left out; what is left must be non-empty and every line part of
    the closing block.
    """
    lines = _lines(last_page)
    first = _lines(first_page)
    while lines and first and lines[0] == first[0]:
        del lines[0], first[0]
    while lines and first and lines[-1] == first[-1]:
        del lines[-1], first[-1]
    joined = " ".join(closing)
    return bool(lines and closing) and all(line in joined for line in lines)


def _lines(text: str) -> list[str]:
    """The non-empty lines of a page's text, their spacing made single."""
    return [joined for line in text.splitlines() if (joined := " ".join(line.split()))]


def over_budget(
    recipient: str,
    name: str,
    pages: int,
    budget: int,
    *,
    declared: bool,
    severity: Severity = "error",
) -> Finding:
    """The finding for a letter that takes more pages than the budget: the front matter's
    ``pages:`` when ``declared``, else the first letter's page count."""
    said = "the front matter's 'pages'" if declared else "the first letter's count"
    return Finding(
        severity,
        "page-budget",
        f"letter {name} runs to {pages} page(s), over {said} of {budget}: shorten it, "
        f"or set 'pages: {pages}' in the template's front matter",
        record=recipient,
    )


def closing_alone(recipient: str, name: str, pages: int) -> Finding:
    """The warning for a letter whose last page holds only the closing and signature."""
    return Finding(
        "warning",
        "closing-alone",
        f"letter {name}: page {pages} holds only the closing and signature; shorten the "
        "letter, or keep the closing with the last paragraph (a block with together: true)",
        record=recipient,
    )
