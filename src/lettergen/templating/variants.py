"""Language variants of a template: ``appeal.fr.txt.j2`` beside ``appeal.txt.j2``.

A recipient's ``language`` field picks the variant of that language when its file exists, and
the default template otherwise. This module finds variants and compares them with their default;
:class:`~lettergen.merge.render.Merge` does the picking.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lettergen.errors import LettergenError
from lettergen.templating.loading import load_template

if TYPE_CHECKING:
    from lettergen.templating.environment import LetterTemplate

# A language tag as people write it in a spreadsheet: "fr", "FR", "fr-BE", "fr_BE", "pt-br".
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


def split_name(template: Path) -> tuple[str, str]:
    """Return a template's name and its format suffix: ``appeal.txt.j2`` -> ``appeal``, ``.txt.j2``.

    ``.j2`` templates keep the suffix before it (``.txt.j2``); others keep one (``.docx``).
    """
    suffixes = template.suffixes
    count = 2 if len(suffixes) >= 2 and suffixes[-1].lower() == ".j2" else 1
    suffix = "".join(suffixes[-count:])
    return template.name[: len(template.name) - len(suffix)], suffix


def normalise_tag(tag: str) -> str:
    """Return a language tag as variant files spell it: ``FR`` -> ``fr``, ``fr_BE`` -> ``fr-be``."""
    return tag.strip().replace("_", "-").lower()


def variant_path(template: Path, language: str) -> Path:
    """Return where the ``language`` variant of ``template`` would be (it may not exist)."""
    name, suffix = split_name(template)
    return template.with_name(f"{name}.{language}{suffix}")


def candidate_tags(language: object) -> list[str]:
    """Return the variant tags to try for a recipient's ``language`` value, best first.

    ``fr-BE`` tries ``fr-be`` then ``fr``; a value that is not a language tag (empty, a number,
    ``../x``) gives no candidate, so the default template is used.
    """
    if not isinstance(language, str) or not _TAG.fullmatch(language.strip()):
        return []
    tag = normalise_tag(language)
    primary = tag.split("-")[0]
    return list(dict.fromkeys([tag, primary]))


def find_variant(template: Path, language: object) -> tuple[str, Path] | None:
    """Return the tag and path of the variant of ``template`` for ``language``, if one exists."""
    for tag in candidate_tags(language):
        path = variant_path(template, tag)
        if path.is_file():
            return tag, path
    return None


def find_variants(template: Path) -> dict[str, Path]:
    """Return every language variant of ``template`` in its folder, by tag, sorted by tag."""
    name, suffix = split_name(template)
    found: dict[str, Path] = {}
    if not template.parent.is_dir():
        return found
    prefix = f"{name}."
    for path in template.parent.iterdir():
        if path == template or not path.is_file():
            continue
        if not (path.name.startswith(prefix) and path.name.endswith(suffix)):
            continue
        middle = path.name[len(prefix) : len(path.name) - len(suffix)]
        if _TAG.fullmatch(middle) and middle == normalise_tag(middle):
            found[middle] = path
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class VariantProblem:
    """Something wrong with a language variant: its file, the message and how bad it is."""

    path: Path
    message: str
    severity: str = "error"  # "error" (fields differ, unreadable) or "warning" (stale)
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.severity}: {self.message}"


def variant_problems(template: Path, encoding: str | None = None) -> list[VariantProblem]:
    """Compare every language variant of ``template`` with it and return what differs.

    Errors: a variant that uses fields its default does not (or misses some the default uses),
    and a variant that does not parse. Warnings: a variant that may translate an older version
    of its default. A variant says which version it translates with ``translates:`` in its
    front matter (the default's :func:`fingerprint`); one that does not is judged by its
    file's time, older than its default's meaning "not touched since the default changed".
    """
    variants = find_variants(template)
    if not variants:
        return []
    default = _load(template, encoding)
    default_fields = default.fields()
    current = fingerprint(default)
    problems: list[VariantProblem] = []
    for tag, path in variants.items():
        try:
            variant = _load(path, encoding)
            fields = variant.fields()
        except LettergenError as error:
            problems.append(VariantProblem(error.path or path, error.message, line=error.line))
            continue
        extra = sorted(fields - default_fields)
        missing = sorted(default_fields - fields)
        if extra:
            problems.append(
                VariantProblem(
                    path,
                    f"'{tag}' variant uses field(s) {template.name} does not: " + ", ".join(extra),
                )
            )
        if missing:
            problems.append(
                VariantProblem(
                    path,
                    f"'{tag}' variant lacks field(s) {template.name} uses: " + ", ".join(missing),
                )
            )
        stale = _staleness(tag, template, path, variant.meta.get("translates"), current)
        if stale:
            problems.append(VariantProblem(path, stale, severity="warning"))
    return problems


def fingerprint(template: LetterTemplate) -> str:
    """Return a short hash of a template's text (its body; a Word template's file).

    Front matter is left out: a new letterhead or layout does not call for a new translation.
    """
    body = getattr(template, "body", None)
    data = body.encode("utf-8") if isinstance(body, str) else template.path.read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def _staleness(
    tag: str, default: Path, variant: Path, translates: object, current: str
) -> str | None:
    """Return why the ``tag`` variant may be out of date, or None."""
    if translates is not None:
        if str(translates).strip() == current:
            return None
        return (
            f"'{tag}' variant translates another version of {default.name} "
            f"(translates: {translates}; it is now {current}): update the translation, "
            f"then set translates: {current}"
        )
    if variant.stat().st_mtime >= default.stat().st_mtime:
        return None
    return (
        f"'{tag}' variant not touched since its default {default.name} changed; is the "
        f"translation up to date? Once it is, put translates: {current} in its front matter"
    )


def _load(path: Path, encoding: str | None) -> LetterTemplate:
    """Return a template (text or Word), compiled."""
    return load_template(path, encoding)
