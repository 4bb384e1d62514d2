"""Word letters (``.docx``) from text templates, on a letterhead, written fast.

Everything that is the same for every letter is done once, when the writer is made: the
letterhead is read (:mod:`.letterhead`) and laid out as a zip. Per letter only the body's
paragraphs are built, as text: one ``w:p`` per block of lines, ``w:br`` between the lines of a
block (see :mod:`lettergen.merge.blocks`).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lettergen.errors import SenderError, TemplateError, Warn, ignore_warning
from lettergen.merge.blocks import Layout, Rule, blocks, layout, parse_rules
from lettergen.merge.values import forbidden_character
from lettergen.ooxml import R_NS, find_forbidden
from lettergen.templating.forms import given_locale
from lettergen.writers.frames import (
    PRESETS,
    AddressField,
    address_field_of,
    address_spacing,
    frame,
    return_address,
    return_paragraph,
    run_properties,
    twips,
)
from lettergen.writers.language import LanguageArchives, mark_xml
from lettergen.writers.letterhead import SIGNATURE_ID, letterhead_of, read_letterhead
from lettergen.writers.writer import Writer

if TYPE_CHECKING:
    from lettergen.merge.letter import Letter

# A signature is drawn 4.5 cm wide, and never taller than 2.5 cm (EMU: 360,000 per cm).
_SIGNATURE_WIDTH = 4.5 * 360_000
_SIGNATURE_HEIGHT = 2.5 * 360_000

# Hebrew, Arabic, Syriac, Thaana, NKo and their presentation forms.
_RTL_SCRIPT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
_TAB = '</w:t><w:tab/><w:t xml:space="preserve">'


def _signature_drawing(width: int, height: int) -> str:
    """Return the run drawing the signature inline, with ``{id}`` for its drawing number."""
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    pic = "http://schemas.openxmlformats.org/drawingml/2006/picture"
    wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    return (
        f'<w:r><w:drawing><wp:inline xmlns:wp="{wp}" distT="0" distB="0" distL="0" distR="0">'
        f'<wp:extent cx="{width}" cy="{height}"/><wp:docPr id="{{id}}" name="Signature {{id}}"/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/>'
        f'</wp:cNvGraphicFramePr><a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}">'
        f'<pic:pic xmlns:pic="{pic}"><pic:nvPicPr><pic:cNvPr id="0" name="signature"/>'
        f"<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>"
        f'<a:blip xmlns:r="{R_NS}" r:embed="{SIGNATURE_ID}"/><a:stretch><a:fillRect/></a:stretch>'
        f'</pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/>'
        f'</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        f"</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )


class DocxWriter(Writer):
    """Writes each letter as a ``.docx`` on a letterhead (default: a clean A4 page)."""

    format = "docx"
    suffix = ".docx"

    def __init__(
        self,
        letterhead: Path | None = None,
        *,
        rules: Sequence[Rule] = (),
        signature: str | Path | None = None,
        source: Path | None = None,
        warn: Warn = ignore_warning,
        title: str = "Letter",
        author: str = "",
        dated: dt.date | None = None,
        field: AddressField | None = None,
    ) -> None:
        self.source = source
        # The address window (a rule may place a block there without the front matter's
        # address_field: then the field is DIN 5008 form B's).
        self.field = field or PRESETS["din5008-b"]
        self.rules = list(rules)
        self.letterhead = read_letterhead(letterhead, warn)
        # Dated by the letters' date, so that the same inputs give the same bytes in any run.
        day = dated or dt.date.today()
        self.letterhead.describe(
            title, author, dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        )
        self.styles: dict[str, str] = {}
        self._check_styles(self.rules, source)
        # Layout rules of each template a letter came from (language variants have their own).
        self._rules: dict[Path | None, list[Rule]] = {}
        self.drawing = self._signature(Path(signature)) if signature else None
        self.archive = self.letterhead.archive()
        # The same members with the language of a letter's locale (w:lang), made once per locale.
        self.languages = LanguageArchives(self.letterhead.fixed_members(), self.archive)
        self.document_name = self.letterhead.document_name
        found = re.search(r'<w:pgMar\b[^>]*\bw:top="(-?\d+)"', self.letterhead.section)
        self.top_margin = abs(int(found.group(1))) if found else twips(25)

    @classmethod
    def for_template(
        cls,
        meta: Mapping[str, Any],
        source: Path | None,
        *,
        letterhead: Path | None = None,
        signature: str | Path | None = None,
        folders: Sequence[Path] | None = None,
        warn: Warn = ignore_warning,
        author: str = "",
        dated: dt.date | None = None,
    ) -> DocxWriter:
        """Return the writer a template's front matter asks for (``--letterhead`` wins); the
        front matter names files inside ``folders`` only (see :mod:`lettergen.confine`)."""
        return cls(
            letterhead or letterhead_of(meta, source, folders),
            rules=parse_rules(meta.get("blocks"), source or Path()),
            signature=signature,
            source=source,
            warn=warn,
            title=str(meta.get("subject") or "Letter"),
            author=author,
            dated=dated,
            field=address_field_of(meta, source),
        )

    def _check_styles(self, rules: Sequence[Rule], source: Path | None) -> None:
        for rule in rules:
            if rule.style is None:
                continue
            style_id = self.letterhead.styles.get(rule.style.lower())
            if style_id is None:
                where = self.letterhead.path or "the default letterhead"
                raise TemplateError(
                    f"front matter 'blocks' rule {rule.number}: {where} has no paragraph style "
                    f"'{rule.style}'",
                    path=source,
                )
            self.styles[rule.style] = style_id

    def rules_for(self, letter: Letter) -> list[Rule]:
        """Return the layout rules of the template ``letter`` was rendered from."""
        key = letter.template
        found = self._rules.get(key)
        if found is None:
            meta = letter.context.get("letter")
            if key is None or key == self.source or not isinstance(meta, Mapping):
                found = self.rules
            else:
                found = parse_rules(meta.get("blocks"), key)
                self._check_styles(found, key)
            self._rules[key] = found
        return found

    def _signature(self, path: Path) -> str:
        from docx.image.exceptions import (
            InvalidImageStreamError,
            UnexpectedEndOfFileError,
            UnrecognizedImageError,
        )
        from docx.image.image import Image

        try:
            data = path.read_bytes()
            image = Image.from_blob(data)
        except OSError as exc:
            raise SenderError(
                f"cannot read the signature image: {exc.strerror}", path=path
            ) from None
        except UnrecognizedImageError:
            raise SenderError("the signature image is not a PNG or JPEG", path=path) from None
        except (
            InvalidImageStreamError,
            UnexpectedEndOfFileError,
            UnicodeDecodeError,
            ValueError,
            struct.error,
        ):  # what python-docx raises for a damaged PNG or JPEG
            raise SenderError(
                "the signature image is damaged: save it again as a PNG or JPEG", path=path
            ) from None
        extension = {"image/png": "png", "image/jpeg": "jpeg"}.get(image.content_type)
        if extension is None or not image.px_width or not image.px_height:
            raise SenderError("the signature image is not a PNG or JPEG", path=path)
        self.letterhead.add_image(data, extension, image.content_type)
        width, height = _SIGNATURE_WIDTH, _SIGNATURE_WIDTH * image.px_height / image.px_width
        if height > _SIGNATURE_HEIGHT:
            width, height = width * _SIGNATURE_HEIGHT / height, _SIGNATURE_HEIGHT
        return _signature_drawing(int(width), int(height))

    def check(self, letter: Letter) -> None:
        """Raise a LettergenError if ``letter`` cannot become a valid Word document."""
        self._check_text(letter)
        rules = self.rules_for(letter)
        if rules:
            self._layout(letter, blocks(letter.text), rules)

    def _check_text(self, letter: Letter) -> None:
        bad = find_forbidden(letter.text)
        if bad is not None:
            raise forbidden_character(letter.record, letter.context, bad, template=self.source)

    def _layout(self, letter: Letter, found: list[str], rules: list[Rule]) -> list[Layout | None]:
        """Return the layout of each block, or raise the error of a rule that picks none."""
        try:
            return list(layout(found, rules))
        except LookupError as exc:
            raise TemplateError(
                f"{exc} picks no block of this letter",
                path=letter.template or self.source,
                record=letter.record.id,
            ) from None

    def to_bytes(self, letter: Letter) -> bytes:
        """Return the whole ``.docx`` file of ``letter``."""
        before, after = self.letterhead.before, self.letterhead.after
        document = before + self.body(letter) + after
        locale = given_locale(letter.context)
        return self.languages.archive(locale).build(
            self.document_name, mark_xml(document.encode("utf-8"), locale)
        )

    def build(self, letter: Letter) -> bytes:
        """Check ``letter`` (as :meth:`check`) and return its file, in one go."""
        self._check_text(letter)
        return self.to_bytes(letter)

    def body(self, letter: Letter, *, drawing_id: int = 1, section: str = "") -> str:
        """Return the body XML of ``letter``: its paragraphs.

        ``section`` goes at the end of the last paragraph's properties (a combined document
        ends each letter's section there).
        """
        found = blocks(letter.text) or [""]
        rules = self.rules_for(letter)
        layouts: list[Layout | None] = self._layout(letter, found, rules) if rules else []
        layouts += [None] * (len(found) - len(layouts))
        drawings = [""] * len(found)
        if self.drawing:
            drawing = self.drawing.replace("{id}", str(drawing_id))
            index, insert = self._signature_place(found, layouts, letter)
            if insert:
                # No empty paragraph there to hold it: the image gets one of its own.
                found.insert(index, "")
                layouts.insert(index, None)
                drawings.insert(index, "")
            drawings[index] = drawing
        last = len(found) - 1
        # Most letters hold no right-to-left script: one search spares a look at each block.
        rtl = _has_rtl(letter.text)
        sender = letter.context.get("sender") if self.field.return_address else None
        sender_line = return_address(sender)
        extras = self._placements(found, layouts, drawings, bool(sender_line))
        head = ""
        parts = []
        for i, block in enumerate(found):
            item = layouts[i]
            if item is not None and item.place == "address" and sender_line and not head:
                head = return_paragraph(self.field, sender_line, block.count("\n") + 1)
                parts.append(head)
            pieces = (section if i == last else "", drawings[i], rtl, extras[i])
            parts.append(self._paragraph(block, item, *pieces))
        return "".join(parts)

    def _placements(
        self,
        found: list[str],
        layouts: list[Layout | None],
        drawings: list[str],
        has_return: bool,
    ) -> list[tuple[str, str, str]]:
        """Return each paragraph's frame, spacing and run properties (all "" for most).

        Framed blocks stand in the window or beside it; the first block after the framed
        blocks that open the letter starts below the field; a signing space is exact.
        """
        field = self.field
        result = [("", "", "")] * len(found)
        opening = True
        for index, item in enumerate(layouts):
            place = item.place if item is not None else None
            if place == "address":
                result[index] = (
                    frame(field, place),
                    address_spacing(field, has_return, found[index].count("\n") + 1),
                    run_properties(field, field.size),
                )
            elif place == "info":
                result[index] = (frame(field, place), "", "")
            elif opening:
                opening = False
                if index:
                    below = field.top + field.height + 4.23
                    before = twips(below) - self.top_margin
                    if before > 0:
                        result[index] = ("", f'<w:spacing w:before="{before}"/>', "")
            if item is not None and item.signing is not None:
                # The empty paragraphs after the block (the text letter's blank lines, one
                # holding the signature image) take exactly the space to sign.
                space, empties = twips(item.signing), 0
                while index + 1 + empties < len(found) and not found[index + 1 + empties]:
                    empties += 1
                if not empties:
                    result[index] = (result[index][0], f'<w:spacing w:after="{space}"/>', "")
                    continue
                result[index] = (result[index][0], '<w:spacing w:after="0"/>', "")
                first = space
                for number in range(empties):
                    line = first if number == 0 else 20
                    exact = f'<w:spacing w:after="0" w:line="{line}" w:lineRule="exact"/>'
                    result[index + 1 + number] = ("", exact, "")
        return result

    def _signature_place(
        self, found: list[str], layouts: list[Layout | None], letter: Letter
    ) -> tuple[int, bool]:
        """Return where the signature image goes: a paragraph index, and whether to insert one.

        The place is right after a block whose rule says ``signature``; else the widest run of
        empty paragraphs (the space left to sign), the last one if tied; else just before the
        last block that starts with the signatory's name; else the end.
        """
        for index, item in enumerate(layouts):
            if item is not None and (item.signature_after or item.signing is not None):
                after = index + 1
                return after, after >= len(found) or bool(found[after])
        best, best_width, width = -1, 0, 0
        for index, block in enumerate(found):
            width = 0 if block else width + 1
            if width and width >= best_width:
                best, best_width = index - width + 1, width
        if best >= 0:
            return best, False
        sender = letter.context.get("sender")
        name = str(sender.get("name") or "") if isinstance(sender, Mapping) else ""
        for index in range(len(found) - 1, -1, -1):
            if name and found[index] and found[index].startswith(name):
                return index, True
        return len(found), True

    def _paragraph(
        self,
        block: str,
        item: Layout | None,
        extra: str,
        drawing: str,
        rtl: bool,
        placed: tuple[str, str, str] = ("", "", ""),
    ) -> str:
        rtl = rtl and bool(block) and _is_rtl(block)
        frame_xml, spacing, run_props = placed
        plain = item is None and not rtl and not frame_xml and not spacing
        properties = ("" if plain else self._properties(item, rtl, frame_xml, spacing)) + extra
        head = f"<w:p><w:pPr>{properties}</w:pPr>" if properties else "<w:p>"
        if not block:
            return f"{head}{drawing}</w:p>"
        # str.replace runs in C; escaping the block at once beats escaping line by line.
        text = block.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("\n", _BREAK)
        if "\t" in text:
            text = text.replace("\t", _TAB)
        run = "<w:r><w:rPr><w:rtl/></w:rPr>" if rtl else f"<w:r>{run_props}"
        return f'{head}{drawing}{run}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'

    def _properties(
        self, item: Layout | None, rtl: bool, frame_xml: str = "", spacing: str = ""
    ) -> str:
        # The schema fixes the order: pStyle, keepNext, keepLines, framePr, bidi, spacing
        # (and ind), jc.
        parts = []
        if item is not None:
            if item.style is not None:
                parts.append(f'<w:pStyle w:val="{self.styles[item.style]}"/>')
            if item.keep_next:
                parts.append("<w:keepNext/>")
            if item.keep_lines:
                parts.append("<w:keepLines/>")
        parts.append(frame_xml)
        if rtl:
            parts.append("<w:bidi/>")
        parts.append(spacing)
        if item is not None and item.align is not None:
            parts.append(f'<w:jc w:val="{item.align}"/>')
        return "".join(parts)


def _has_rtl(text: str) -> bool:
    """Tell whether ``text`` holds any right-to-left script."""
    try:
        # Latin-1 text (most letters in Europe) holds no right-to-left script.
        text.encode("latin-1")
    except UnicodeEncodeError:
        return _RTL_SCRIPT.search(text) is not None
    return False


def _is_rtl(text: str) -> bool:
    """Tell whether a paragraph reads right to left: its first strong character does."""
    if not _RTL_SCRIPT.search(text):
        return False
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
