"""One Word paragraph's tags made whole.

A tag Word split across runs is moved into the run where it starts.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lettergen.errors import TemplateError
from lettergen.templating.word.elements import (
    CONTENT_ELEMENTS,
    W_BR,
    W_CR,
    W_NBH,
    W_PPR,
    W_R,
    W_RPR,
    W_T,
    W_TAB,
    W_TXBX,
    XML_SPACE,
)
from lettergen.templating.word.tags import DOCXTPL_BRACES, SHOWN, block_kind, find_tags, literal


@dataclass
class ParagraphPlace:
    """What error messages say about one paragraph: its part, number and text."""

    part: str
    number: int
    text: str

    def describe(self) -> str:
        text = self.text if len(self.text) <= SHOWN else self.text[: SHOWN - 3] + "..."
        return f'{self.part} paragraph {self.number} "{text}"'


@dataclass
class PartSource:
    """Jinja source being assembled, remembering on which line each paragraph starts."""

    chunks: list[str] = field(default_factory=list)
    line: int = 1
    starts: list[int] = field(default_factory=list)
    paragraphs: list[ParagraphPlace] = field(default_factory=list)
    # Indexes in chunks where the body's content starts and ends (word/document.xml only).
    cuts: list[int] = field(default_factory=list)
    # Inside {% raw %}: tags are text, and a comment would be printed.
    raw: bool = False

    def mark(self, paragraph: ParagraphPlace) -> None:
        """Note that what follows belongs to ``paragraph``, starting it on a line of its own."""
        if self.paragraphs and self.paragraphs[-1] is paragraph:
            return
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.break_line()
        self.starts.append(self.line)
        self.paragraphs.append(paragraph)

    def break_line(self) -> None:
        """Move Jinja's line count on without printing anything."""
        if not self.raw:
            # A comment holding a line break prints nothing.
            self.add("{#\n#}")

    def add_text(self, text: str) -> None:
        """Add text to print as it is (docxtpl's ``{_{`` as ``{{``)."""
        if "_" in text:
            for written, meant in DOCXTPL_BRACES:
                text = text.replace(written, meant)
        self.add(text if self.raw else literal(text))

    def add_tags(self, tags: list[str], *, xml: bool) -> None:
        """Add tags; inside ``{% raw %}`` they are text (XML-escaped if ``xml``)."""
        for tag in tags:
            kind, word = block_kind(tag)
            if self.raw and not (word == "raw" and kind == "close"):
                if xml:
                    tag = tag.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            elif word == "raw":
                self.raw = kind == "open"
            self.add(tag)

    def add(self, chunk: str) -> None:
        self.chunks.append(chunk)
        self.line += chunk.count("\n")

    def text(self) -> str:
        return "".join(self.chunks)

    def paragraph_at(self, line: int) -> ParagraphPlace | None:
        """Return the paragraph whose source holds ``line``."""
        index = bisect.bisect_right(self.starts, line) - 1
        return self.paragraphs[index] if index >= 0 else None


def own_texts(paragraph: Any) -> Iterator[Any]:
    """Yield the ``w:t``, ``w:tab`` and ``w:br`` of a paragraph, not those of nested text boxes."""
    stack = list(reversed(paragraph))
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag in (W_T, W_TAB, W_BR, W_CR, W_NBH):
            yield element
        elif tag not in (W_TXBX, W_PPR, W_RPR) and isinstance(tag, str):
            stack.extend(reversed(element))


def _is_empty_run(run: Any) -> bool:
    return all(child.tag == W_RPR for child in run)


@dataclass
class ParagraphInfo:
    """One paragraph after its tags were joined: its ``w:t``s with their tags, its kind."""

    element: Any
    about: ParagraphPlace
    texts: list[Any]  # the paragraph's w:t elements
    tags: dict[int, list[tuple[int, int]]]  # index in texts -> spans of tags in its text
    control: bool  # only block tags: disappears from the output


def join_tags(paragraph: Any, about: ParagraphPlace) -> ParagraphInfo:
    """Move the text of every tag of ``paragraph`` into the ``w:t`` where the tag starts.

    The tag thereby takes the formatting of the run it starts in. Runs emptied by the move
    are removed; ``w:proofErr`` and bookmarks between the pieces stay where they are.
    """
    texts = [t for t in own_texts(paragraph) if t.tag == W_T]
    pieces = [t.text or "" for t in texts]
    full = "".join(pieces)
    try:
        spans = find_tags(full)
    except ValueError as exc:
        raise TemplateError(f"{about.describe()}: template syntax error: {exc}") from None
    if spans:
        # owner[i]: the w:t index that ends up holding character i.
        owner: list[int] = []
        for index, piece in enumerate(pieces):
            owner.extend([index] * len(piece))
        for start, end in spans:
            for i in range(start + 1, end):
                owner[i] = owner[start]
        new = [""] * len(texts)
        for i, char in enumerate(full):
            new[owner[i]] += char
        for t, old, text in zip(texts, pieces, new, strict=True):
            if text != old:
                t.text = text
                t.set(XML_SPACE, "preserve")
        for t, text in zip(list(texts), new, strict=True):
            if not text:
                run = t.getparent()
                run.remove(t)
                texts.remove(t)
                if run.tag == W_R and _is_empty_run(run) and run.getparent() is not None:
                    run.getparent().remove(run)
    tags: dict[int, list[tuple[int, int]]] = {}
    offset = 0
    starts: list[int] = []
    for t in texts:
        starts.append(offset)
        offset += len(t.text or "")
    for start, end in spans:
        index = bisect.bisect_right(starts, start) - 1
        tags.setdefault(index, []).append((start - starts[index], end - starts[index]))
    rest = full
    for start, end in reversed(spans):
        rest = rest[:start] + rest[end:]
    control = (
        bool(spans)
        and not rest.strip()
        and all(full[s + 1] in "%#" for s, _ in spans)
        and not any(el.tag in CONTENT_ELEMENTS for el in paragraph.iter() if el is not paragraph)
    )
    return ParagraphInfo(paragraph, about, texts, tags, control)
