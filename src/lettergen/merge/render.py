"""Merging: a template, a signatory and a stream of records become a stream of letters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from lettergen.confine import allowed_folders, confined
from lettergen.errors import (
    LettergenError,
    RecipientsError,
    SenderError,
    TemplateError,
    Warn,
    ignore_warning,
)
from lettergen.hashset import HashSet
from lettergen.inputs.recipients import Record, mapping_hint, read_file, read_recipients
from lettergen.inputs.sender import FALLBACK, localised, read_sender
from lettergen.merge.letter import Letter
from lettergen.merge.selection import Where, no_records, select
from lettergen.merge.word import WordParts
from lettergen.naming import safe_filename
from lettergen.options import MergeOptions
from lettergen.templating.environment import (
    RENDER_ERRORS,
    Fields,
    LetterTemplate,
    MissingFieldError,
    context_for,
)
from lettergen.templating.loading import load_template
from lettergen.templating.names import (
    NAMES_KEY,
    UndefinedNameError,
    bare_hint,
    bare_names,
    shadow_message,
    shadowed,
)
from lettergen.templating.variants import candidate_tags, find_variant, normalise_tag, variant_path
from lettergen.templating.word.foreign import refuse_impersonal
from lettergen.templating.word.template import WordTemplate
from lettergen.templating.word.values import sidecar


class Merge:
    """A prepared run: the template compiled once, the signatory read once."""

    def __init__(self, options: MergeOptions, warn: Warn = ignore_warning) -> None:
        self.options = options
        self.warn = warn
        self.template = load_template(options.template, options.encoding, options.field_map)
        # The folders whose files the template may name (see lettergen.confine).
        self.folders = allowed_folders(options.template, options.campaign_dir)
        if isinstance(self.template, WordTemplate):
            for message in self.template.warnings:
                warn(message)  # what loading the package removed (external links)
            refuse_impersonal(self.template)
        self.sender_path = self._sender_path()
        # A profile the template names may name a signature image only beside it, likewise.
        within = self.folders if options.sender is None else None
        self.sender = (
            read_sender(self.sender_path, options.encoding, within) if self.sender_path else {}
        )
        self.date = options.date or _meta_date(self.template) or dt.date.today()
        self.name_pattern = self.template.compile_pattern(options.name) if options.name else None
        self.where = Where(options.where, self.template.env) if options.where else None
        # Language variants, compiled once each: recipient language -> (template, letter meta).
        self._variants: dict[str | None, tuple[LetterTemplate, dict[str, Any]]] = {}
        # The signatory's fields, wrapped once for every letter (see context_for).
        # The signatory's values by the locale of the letters they are put into.
        self._senders: dict[str, Fields] = {}

    def _sender_path(self) -> Path | None:
        if self.options.sender is not None:
            return self.options.sender
        value = self.template.meta.get("sender")
        if value is None:
            return None
        if not isinstance(value, str):
            raise TemplateError(
                "front matter 'sender' must be the path of a YAML profile",
                path=self.template.path,
                field="sender",
            )
        path = confined(
            value, self.folders, key="sender", named_in=self.template.path, error=SenderError
        )
        if not path.is_file():
            raise SenderError(
                f"signatory profile not found (named by 'sender:' in {self.template.path})",
                path=path,
            )
        return path

    def records(self, *, quiet: bool = False) -> Iterator[Record]:
        """Yield the records this run writes to: all, or those chosen by only, where, limit.

        ``quiet`` reads them once more without repeating the warnings the first reading gave.
        """
        records = read_recipients(
            self.options.recipients,
            encoding=self.options.encoding,
            warn=ignore_warning if quiet else self.warn,
            sheet=self.options.sheet,
            field_map=self.options.field_map,
        )
        return self.select(records)

    def require_records(self) -> None:
        """Raise :class:`RecipientsError` when the run has no record to write to (after
        ``--only``/``--where`` too), saying how many records each file held.

        Called before a run makes anything, so that an empty list creates no output folder.
        Only the first chosen record is read, unless there is none.
        """
        for _ in self.records(quiet=True):
            return
        options = self.options
        counts = [
            (path, sum(1 for _ in read_file(path, encoding=options.encoding, sheet=options.sheet)))
            for path in options.recipients
        ]
        raise no_records(counts, only=options.only, where=self.where)

    def select(self, records: Iterator[Record]) -> Iterator[Record]:
        """Yield the ``records`` that --only, --where and --limit choose, in that order."""
        return select(
            records,
            only=self.options.only,
            where=self.where,
            context=self._where_context,
            limit=self.options.limit,
        )

    def _where_context(self, record: Record) -> dict[str, Any]:
        """Return the context a ``--where`` expression sees (the default template's ``letter``)."""
        bare = self._bare(self.template)
        return context_for(
            record.fields, self.sender_in(self.template), self.template.meta, self.date, bare=bare
        )

    def _bare(self, template: LetterTemplate) -> bool:
        """Tell whether ``template`` (or lettergen.yaml's ``names:``) asks for bare names."""
        if self.options.names is None or NAMES_KEY in template.meta:
            return bare_names(template.meta, template.path)
        return bare_names({NAMES_KEY: self.options.names}, template.path)

    def template_for(self, record: Record) -> tuple[LetterTemplate, dict[str, Any]]:
        """Return the template (default or the record's ``language`` variant) and its meta."""
        value = record.fields.get("language")
        language = value if isinstance(value, str) else None
        found = self._variants.get(language)
        if found is None:
            found = self._variants[language] = self._load_variant(record, language)
        return found

    def _load_variant(
        self, record: Record, language: object
    ) -> tuple[LetterTemplate, dict[str, Any]]:
        variant = find_variant(self.template.path, language)
        if variant is None:
            default_locale = str(self.template.meta.get("locale") or "en")
            wanted = candidate_tags(language)
            if wanted and wanted[-1] != normalise_tag(default_locale).split("-")[0]:
                self.warn(
                    f"{record.location}: warning: record '{record.id}': no '{wanted[0]}' "
                    f"variant of {self.template.path.name} "
                    f"({variant_path(self.template.path, wanted[0]).name}); "
                    "using the default template"
                )
            return self.template, Fields(self.template.meta, "letter")
        tag, path = variant
        # A variant found by its name may still be a link to any file: it must stay inside.
        confined(path.name, self.folders[:1], key="variant", named_in=path, error=TemplateError)
        template = load_template(path, self.options.encoding, self.options.field_map)
        # A variant inherits its default's front matter; its dates follow its language. Its
        # meta is replaced by the merged one, so whoever looks at it (check) sees the same.
        template.meta = {**self.template.meta, "locale": tag, **template.meta}
        return template, Fields(template.meta, "letter")

    def sender_in(self, template: LetterTemplate) -> Fields:
        """The signatory's values in the language of ``template`` (its locale): a field with
        one value per language gives that language's (see :func:`localised`)."""
        locale = str(template.meta.get("locale") or FALLBACK)
        found = self._senders.get(locale)
        if found is None:
            found = self._senders[locale] = Fields(localised(self.sender, locale), "sender")
        return found

    def render(self, record: Record, *, marked: bool = False, quiet: bool = False) -> Letter:
        """Render the letter for one record, or raise a LettergenError naming record and line.

        ``quiet`` renders a letter once more without repeating its warnings.
        """
        template, meta = self.template_for(record)
        bare = self._bare(template)
        if bare and (hidden := shadowed(record.fields, template.env.globals)):
            raise record.error(shadow_message(*hidden), field=hidden[0])
        context = context_for(record.fields, self.sender_in(template), meta, self.date, bare=bare)
        try:
            text = template.render(context, marked=marked)
        except RENDER_ERRORS as exc:
            raise self._render_error(exc, record, template) from None
        return Letter(
            record=record,
            name=self._file_name(record, context, ignore_warning if quiet else self.warn),
            text=text,
            context=context,
            template=template.path,
            word=WordParts(template, record, context)
            if isinstance(template, WordTemplate)
            else None,
        )

    def _render_error(
        self, exc: Exception, record: Record, template: LetterTemplate | None = None
    ) -> LettergenError:
        error = (template or self.template).explain(exc)
        if isinstance(exc, MissingFieldError):
            origin = RecipientsError if exc.field.startswith("recipient.") else TemplateError
            if exc.field.startswith("sender.") and self.sender_path is None:
                return SenderError(
                    f"{error.message}: no signatory profile given (use --sender FILE or "
                    "'sender:' in the template's front matter)",
                    path=self.template.path,
                    record=record.id,
                    missing_field=exc.field,
                )
            if exc.field.startswith("sender."):
                return SenderError(
                    error.message,
                    path=self.sender_path,
                    record=record.id,
                    missing_field=exc.field,
                )
            hint = mapping_hint(exc.field, record.fields) if origin is RecipientsError else ""
            return origin(
                error.message + hint,
                path=record.path,
                line=record.line,
                record=record.id,
                missing_field=exc.field,
            )
        hint = ""
        if isinstance(exc, UndefinedNameError):
            template = template or self.template
            where = (
                f"in {sidecar(template.path).name}"
                if isinstance(template, WordTemplate)
                else "in the template's front matter"
            )
            hint = bare_hint(exc.name, record.fields, where)
        return TemplateError(
            error.message + hint, path=error.path, line=error.line, record=record.id
        )

    def _file_name(self, record: Record, context: dict[str, Any], warn: Warn) -> str:
        if self.name_pattern is None:
            raw = record.id
        else:
            try:
                raw = self.name_pattern.render(context).strip()
            except (jinja2.TemplateError, SecurityError) as exc:
                raise TemplateError(
                    f"--name pattern: {self.template.explain(exc).message}",
                    path=record.path,
                    line=record.line,
                    record=record.id,
                ) from None
        name = safe_filename(raw)
        if not name:
            raise record.error(f"file name {raw!r} has no usable characters", field="id")
        if name != raw:
            warn(
                f"{record.location}: warning: record '{record.id}': file name {raw!r} "
                f"is not safe; written as {name!r}"
            )
        return name

    def letters(self, records: Iterable[Record] | None = None) -> Iterator[Letter]:
        """Yield one letter per record; two letters with one file name are an error."""
        chosen = self.records() if records is None else records
        return self.unique(self.render(record) for record in chosen)

    def unique(self, letters: Iterable[Letter]) -> Iterator[Letter]:
        """Yield ``letters``, raising an error at the first whose file name is taken."""
        # Names are kept as 8-byte hashes: a dict of 100,000 names and places took 20 MB, and
        # the issue wants memory flat in N. A hash seen before sends us back to the records
        # to find (and confirm) the letter that took the name first.
        names = HashSet()
        for letter in letters:
            record = letter.record
            # Case-insensitive: Windows and macOS would put both letters in one file.
            key = letter.name.casefold()
            if names.add_key(key):
                first = self._first_named(key, record)
                if first is not None:
                    raise record.error(name_clash(letter.name, first))
            yield letter

    def _first_named(self, key: str, duplicate: Record) -> str | None:
        """Return the record before ``duplicate`` whose file name folds to ``key``, if any."""
        for record in self.records(quiet=True):
            if record.path == duplicate.path and record.line == duplicate.line:
                return None
            if self.render(record, quiet=True).name.casefold() == key:
                return f"'{record.id}' ({record.location})"
        return None


def _meta_date(template: LetterTemplate) -> dt.date | None:
    value = template.meta.get("date")
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise TemplateError(
            f"front matter date {value!r} is not YYYY-MM-DD", path=template.path, field="date"
        ) from None


def name_clash(name: str, first: str) -> str:
    """Say that the letter's file name ``name`` is taken by the letter of record ``first``."""
    return (
        f"file name '{name}' is also the name of record {first}; "
        "give each record its own id or change --name"
    )
