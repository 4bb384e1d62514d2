"""The language a Word letter is marked in (``w:lang``): the letter's locale, so that Word checks
a French letter's spelling as French rather than marking every word.

Word reads the language of text from ``w:lang`` in the styles' defaults and in each run that
carries one; a letterhead made in an English Word says ``en-US`` in both. :func:`with_language`
rewrites them all (:class:`LanguageArchives`: in a Word writer's fixed members once per locale;
:func:`with_language`: in a finished DOCX), for the letter's locale as a tag Word knows (``fr`` ->
``fr-FR``, by the likely territory CLDR gives through Babel; bare English is ``en-GB``, the
English of EU and UK letters).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Iterable

from babel.core import get_global

from lettergen.writers.zipwriter import Archive, Member

# Parts whose text and styles carry languages.
_PARTS = re.compile(r"word/(styles|document|header\d*|footer\d*|footnotes|endnotes)\.xml")
# The language of each run (and of the styles' defaults): w:lang w:val="en-US".
_LANG_VALUE = re.compile(rb'(<w:lang\b[^>]*?\bw:val=")([^"]*)(")')
# The styles' default run properties, to give a language where they have none.
_DEFAULT_RPR = re.compile(rb"<w:rPrDefault>\s*<w:rPr>")
# The European usage for a bare language where CLDR's likely territory is not it.
_TERRITORY = {"en": "GB"}


@functools.cache
def language_tag(locale: str) -> str:
    """Return the tag Word knows for ``locale``: ``fr`` -> ``fr-FR``, ``fr_BE`` -> ``fr-BE``."""
    parts = locale.replace("-", "_").split("_")
    language = parts[0].lower()
    if len(parts) > 1 and parts[-1].isalpha() and len(parts[-1]) == 2:
        return f"{language}-{parts[-1].upper()}"
    territory = _TERRITORY.get(language)
    if territory is None:
        likely = str(get_global("likely_subtags").get(language, ""))
        territory = likely.split("_")[-1] if "_" in likely else ""
    return f"{language}-{territory}" if territory else language


def mark_xml(xml: bytes, locale: str | None, *, styles: bool = False) -> bytes:
    """Return a part's XML with every ``w:lang`` set to ``locale``'s tag (and, for the
    ``styles`` part, its defaults given one if they have none); unchanged without a locale."""
    if not locale:
        return xml
    tag = language_tag(locale).encode("ascii")
    if b"<w:lang " in xml:
        xml = _LANG_VALUE.sub(lambda m: m.group(1) + tag + m.group(3), xml)
    if styles and b"<w:lang " not in xml:
        xml = _DEFAULT_RPR.sub(
            lambda m: m.group(0) + b'<w:lang w:val="' + tag + b'"/>', xml, count=1
        )
    return xml


class LanguageArchives:
    """A Word writer's fixed members (styles, header, footer, ...) with their ``w:lang`` set,
    laid out once per locale: a letter then costs only its own document's rewriting."""

    def __init__(self, members: Iterable[Member], default: Archive) -> None:
        self._members = list(members)
        self._by_locale: dict[str, Archive] = {}
        self._default = default

    def archive(self, locale: str | None) -> Archive:
        """Return the fixed members' archive for letters in ``locale`` (None: as they are)."""
        if not locale:
            return self._default
        found = self._by_locale.get(locale)
        if found is None:
            found = self._by_locale[locale] = Archive(
                self._marked(m, locale) for m in self._members
            )
        return found

    @staticmethod
    def _marked(member: Member, locale: str) -> Member:
        if not _PARTS.fullmatch(member.name):
            return member
        content = member.content()
        marked = mark_xml(content, locale, styles=member.name == "word/styles.xml")
        return member if marked == content else Member.deflate(member.name, marked)


def with_language(docx: bytes, locale: str | None) -> bytes:
    """Return ``docx`` with every ``w:lang`` of its text and styles set to ``locale``'s tag
    (the styles' defaults given one if they have none); unchanged without a locale."""
    if not locale:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if _PARTS.fullmatch(info.filename):
                data = mark_xml(data, locale, styles=info.filename == "word/styles.xml")
            target.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()
