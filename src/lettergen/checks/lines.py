"""What a letter line says: the record's values in it, the template's own words, its phrases."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lettergen.checks.fields import leaf_strings
from lettergen.checks.identity import (
    ADDRESSED,
    CLOSING,
    EXCELLENCY,
    FORM,
    GENERIC,
    IDENTITY_FIELDS,
    JOINERS,
    OFFICE_WORDS,
    PHRASE,
    PLACEHOLDERS,
    QUOTES,
    SALUTATION,
    SENTENCE_END,
    SENTENCE_START,
    named_part,
    office_phrase,
)
from lettergen.inputs.recipients import Record
from lettergen.protocol.countries import own_countries
from lettergen.protocol.words import normalise
from lettergen.templating.environment import (
    MARK_END,
    MARK_START,
    MARKED_VALUE,
    strip_marks,
)

# Lines kept by the lines' cache: the template's own lines repeat in every letter; lines with
# a record's values mostly do not, and a long run would otherwise keep them all.
LINES_CACHED = 2048


# Layouts of letters kept (a template gives a few: one per branch its records take).
PLANS_KEPT = 64


# One form of address in a line: what it says, the words naming someone, whether it speaks
# to the reader, the office it names, that office's words and the other words it names.
_Form = tuple[str, str, bool, str | None, tuple[str, ...], tuple[str, ...]]


@dataclass(slots=True)
class LineValue:
    """What the checks look up of one value printed in a letter."""

    norm: str  # normalised
    padded: str  # normalised, with a space at each end
    capitals: int  # how many of its words start with a capital
    names: tuple[str, ...]  # its phrases that are names of recipients
    organisations: tuple[str, ...]  # its phrases that are recipients' organisations
    postal: str  # the city, if it is the postal line of an address


# Which lines of a layout of letters need a look (see Checker._plan): indexes of the lines that
# may be the salutation, the closing..., and of those that may hold a form of address.
# And the indexes of the lines that print values.
LinePlan = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


@dataclass(slots=True)
class LetterLine:
    """What the checks see in one line of a letter (rendered with marks around values)."""

    text: str  # the line as printed
    values: tuple[str, ...]  # the values printed in it, stripped
    skeleton: str  # the line with each value replaced by NUL
    whole: bool  # every value printed in it starts and ends in it
    salutation: bool
    closing: bool
    excellency: bool
    placeholders: tuple[tuple[str, int], ...]  # leftover placeholders and their columns
    doubled: tuple[str, ...]  # words said by the template and a value at their join
    countries: tuple[tuple[str, str, int], ...]  # "your country, X": code, words, column
    plain: bool  # none of salutation, closing, Excellency or placeholders
    # The forms of address found so far, by in_body + 2 * salutation (see forms).
    known: list[tuple[_Form, ...] | None]

    def forms(self, salutation: bool, in_body: bool) -> tuple[_Form, ...]:
        """Return the forms of address in this line that the checks look at."""
        found = self.known[in_body + 2 * salutation]
        if found is None:
            kept: list[_Form] = []
            for said, words, vocative in _spans(self.text, salutation, in_body):
                if not vocative and in_body:
                    continue  # speaks of someone rather than to the recipient
                office = office_phrase(words) if words else None
                office_words = tuple(normalise(office).split()) if office else ()
                # Names matter only in the body (vocatives): "Dear Mr Smith", "Minister Y,".
                named = (
                    tuple(w for w in normalise(words).split() if w not in JOINERS)
                    if in_body
                    else ()
                )
                kept.append((said, words, vocative, office, office_words, named))
            found = self.known[in_body + 2 * salutation] = tuple(kept)
        return found


def read_letter_line(marked: str) -> LetterLine:
    """Return what the checks see in one line of a letter."""
    if (
        marked[:1] == MARK_START
        and marked.find(MARK_END) == len(marked) - 1
        and marked.count(MARK_START) == 1
    ):
        # One value and nothing else (an address line, a salutation): no pattern needed.
        text = marked[1:-1]
        values: tuple[str, ...] = (text.strip(),)
        skeleton = "\0"
        whole = True
    elif (parsed := _marked_values(marked)) is not None:
        text, values, skeleton = parsed
        whole = True
    elif MARK_START in marked or MARK_END in marked:
        # Marks that do not pair up in this line: a value printed over several lines.
        values = tuple(
            (strip_marks(v) if MARK_START in v else v).strip() for v in MARKED_VALUE.findall(marked)
        )
        skeleton = MARKED_VALUE.sub("\0", marked)
        text = strip_marks(marked)
        whole = MARK_START not in skeleton and MARK_END not in skeleton
    else:
        text = skeleton = marked
        values = ()
        whole = True
    triggered = (
        "{" in text
        or "}" in text
        or "[" in text
        or "<<" in text
        or "«" in text
        or "XXX" in text
        or "TODO" in text
        or "FIXME" in text
        or "TBD" in text
        or "TBC" in text
        or "%" in text
        or "here" in text
    )
    found = PLACEHOLDERS.finditer(text) if triggered else ()
    placeholders = tuple((match.group(0), match.start()) for match in found)
    salutation = _is_salutation(text)
    doubled = doubled_words(skeleton, values) if values else ()
    countries = own_countries(text)
    closing = CLOSING.match(text) is not None
    excellency = "Excellency" in text and EXCELLENCY.search(text) is not None
    return LetterLine(
        text=text,
        values=values,
        skeleton=skeleton,
        whole=whole,
        salutation=salutation,
        closing=closing,
        excellency=excellency,
        placeholders=placeholders,
        doubled=doubled,
        countries=countries,
        plain=not (salutation or closing or excellency or placeholders or doubled or countries),
        known=[None, None, None, None],
    )


def _marked_values(marked: str) -> tuple[str, tuple[str, ...], str] | None:
    """Return the text, the values (stripped) and the skeleton of a line whose every value
    closes before the next opens; None for any other line (and for one without values)."""
    parts = marked.split(MARK_START)
    head = parts[0]
    if len(parts) == 1 or MARK_END in head:
        return None
    texts = [head]
    skeleton = [head]
    values = []
    for part in parts[1:]:
        value, closed, rest = part.partition(MARK_END)
        if not closed or MARK_END in rest:
            return None
        values.append(value.strip())
        texts += (value, rest)
        skeleton += ("\0", rest)
    return "".join(texts), tuple(values), "".join(skeleton)


def own_strings(fields: Mapping[str, Any]) -> set[str]:
    """Return the strings of a record (as :func:`leaf_strings`), quickly for flat records."""
    own: set[str] = set()
    for value in fields.values():
        if isinstance(value, str):
            text = value.strip()
            if text:
                own.add(text)
                if "\n" in text:
                    own.update(line.strip() for line in text.splitlines() if line.strip())
        else:
            own.update(leaf_strings(value))
    return own


def _is_salutation(line: str) -> bool:
    return len(line) < 100 and bool(SALUTATION.match(line))


def is_identity_value(record: Record, value: str) -> bool:
    fields = record.fields
    value = value.strip()
    return any(value in set(leaf_strings(fields.get(key))) for key in IDENTITY_FIELDS)


@functools.lru_cache(maxsize=1024)
def _spans(line: str, salutation: bool, in_body: bool) -> tuple[tuple[str, str, bool], ...]:
    """Return the forms of address in one letter line: (words, what they name, vocative?).

    Cached: most lines of a batch are the template's own and repeat in every letter.
    """
    spans: list[tuple[str, str, bool]] = []
    quoted = '"' in line or "“" in line or "”" in line or "«" in line or "»" in line or "„" in line
    match = SALUTATION.match(line) if salutation else None
    if match and office_phrase(named_part(line)) == named_part(line):
        spans.append((line.strip(), named_part(line), True))  # "Dear Prime Minister,"
    for form in FORM.finditer(line):
        if quoted and sum(line.count(q, 0, form.start()) for q in QUOTES) % 2:
            continue  # inside quotation marks: reported speech, addressed to someone else
        phrase = PHRASE.match(line, form.start("rest"))
        words = phrase.group("words") if phrase else ""
        end = form.start("rest") + len(words)
        tail = line[end : end + 2]
        before = line[: form.start()].rstrip()
        vocative = bool(match) or (
            (not before or before[-1] in ",.;:!?") and (not tail.strip() or tail[0] in ",!")
        )
        if vocative and in_body and not match:
            # "Mr President, I call on you" speaks to the reader; "Monsieur le Président de la
            # République, François Hollande, l'a été aussi" speaks of someone.
            vocative = bool(ADDRESSED.search(_sentence(line, form.start())))
        spans.append((line[form.start() : end], words, vocative))
    if in_body and not salutation:
        for start in SENTENCE_START.finditer(line):
            phrase = PHRASE.match(line, start.end())
            if not phrase:
                continue
            after = line[phrase.end() : phrase.end() + 1]
            if after != "," or GENERIC.match(phrase.group(0)):
                continue
            words = phrase.group("words")
            office = office_phrase(words)
            # "The Prime Minister of X, Mr Y, said" is about someone; "Minister, I call on
            # you" speaks to the reader: the office comes first and the sentence says "you".
            first = normalise(words.split()[0]).split()
            sentence = _sentence(line, phrase.end())
            if (
                office is not None
                and office == words
                and first
                and first[0] in OFFICE_WORDS
                and ADDRESSED.search(sentence)
            ):
                spans.append((office, office, True))
    return tuple(spans)


def _sentence(line: str, at: int) -> str:
    """Return the sentence of ``line`` that holds position ``at``."""
    starts = [m.end() for m in SENTENCE_END.finditer(line, 0, at)]
    after = SENTENCE_END.search(line, at)
    return line[starts[-1] if starts else 0 : after.start() if after else len(line)]


def phrases_of(norm: str, longest: int) -> Iterator[str]:
    """Yield every run of two to ``longest`` words of normalised text (for look-ups).

    One word is never enough: only names and organisations of two words or more are looked
    up, one word ("Paris", "Martin") being too common to be a leak.
    """
    words = norm.split()
    for start in range(len(words)):
        for end in range(start + 2, min(len(words), start + longest) + 1):
            yield " ".join(words[start:end])


def excerpt(line: str, at: int, width: int = 60) -> str:
    start = max(0, at - width // 2)
    text = line[start : start + width].strip()
    return ("…" if start else "") + text + ("…" if start + width < len(line) else "")


# What a template says right before a value (its last word, then blanks: "Dear ") and right
# after one (blanks, then its first word: " Paris"), and a value's first and last words.
_WORD_BEFORE = re.compile(r"(?<!\w)(\w{2,})[ \t]+\Z")
_WORD_AFTER = re.compile(r"[ \t]+(\w{2,})(?!\w)")
_FIRST_WORD = re.compile(r"\w+")
_LAST_WORD = re.compile(r"(?<!\w)\w+\Z")


@functools.lru_cache(maxsize=1024)
def _joins(skeleton: str) -> tuple[tuple[int, str, str], ...]:
    """The values of a line's skeleton (its template text, a NUL for each value) that a
    template word stands beside, blanks between: (which value, the word before or "", the word
    after or ""). Most lines have none: a value follows a comma, a line start or a value."""
    parts = skeleton.split("\0")
    joins = []
    for number, (before, after) in enumerate(itertools.pairwise(parts)):
        said_before = _WORD_BEFORE.search(before)
        said_after = _WORD_AFTER.match(after)
        if said_before or said_after:
            joins.append(
                (
                    number,
                    said_before.group(1) if said_before else "",
                    said_after.group(1) if said_after else "",
                )
            )
    return tuple(joins)


def doubled_words(skeleton: str, values: tuple[str, ...]) -> tuple[str, ...]:
    """The words a line says twice across a join of template and value, as the value spells
    them: a word of the template right before a value that starts with it ("Dear <Dear
    Minister,>"), or a value that ends with the word the template says right after it
    ("<in Paris> Paris"). Only the joins the template has (cached by skeleton) are looked at."""
    found = []
    for number, before, after in _joins(skeleton):
        value = values[number]
        first = _FIRST_WORD.match(value) if before else None
        if first and first.group().casefold() == before.casefold():
            found.append(first.group())
        last = _LAST_WORD.search(value) if after else None
        if last and last.group().casefold() == after.casefold():
            found.append(last.group())
    return tuple(found)
