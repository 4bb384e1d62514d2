"""Choosing the records a run writes to: ``--only ID``, ``--where EXPRESSION``, ``--limit N``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser

from lettergen.errors import RecipientsError, UsageError
from lettergen.inputs.recipients import Record, mapping_hint
from lettergen.templating.environment import RENDER_ERRORS, MissingFieldError

# The names a letter's context gives a template (see templating.context_for).
CONTEXT_NAMES = frozenset({"recipient", "sender", "letter", "date"})

Context = Callable[[Record], Mapping[str, Any]]


class Where:
    """A ``--where`` expression, compiled once in the template's sandboxed environment."""

    def __init__(self, expression: str, env: jinja2.Environment) -> None:
        self.expression = expression
        self.label = f'--where "{expression}"'
        try:
            tree = Parser(env, expression, state="variable").parse_expression()
            self._check_names(tree, env)
            # undefined_to_none=False: a missing field must fail, not read as false.
            self.function = env.compile_expression(expression, undefined_to_none=False)
        except jinja2.TemplateSyntaxError as exc:
            raise UsageError(f"{self.label}: invalid expression: {exc.message}") from None

    def _check_names(self, tree: nodes.Node, env: jinja2.Environment) -> None:
        known = CONTEXT_NAMES | set(env.globals)
        for name in tree.find_all(nodes.Name):
            if name.ctx == "load" and name.name not in known:
                raise UsageError(
                    f"{self.label}: unknown name '{name.name}'; a record's fields are "
                    f"recipient.NAME, e.g. recipient.{name.name}"
                )

    def __call__(self, record: Record, context: Mapping[str, Any]) -> bool:
        """Return whether ``record`` is chosen; a failure is an error naming the record."""
        try:
            return bool(self.function(**context))
        except MissingFieldError as exc:
            # The message a template's missing field gives, and the same hint.
            hint = mapping_hint(exc.field, record.fields)
            raise record.error(f"{self.label}: {exc}{hint}") from None
        except SecurityError as exc:
            raise record.error(f"{self.label}: refused by the template sandbox: {exc}") from None
        except RENDER_ERRORS as exc:
            # CellText is an implementation detail; to the user a cell is text.
            message = str(exc).replace("'CellText'", "'str'") or type(exc).__name__
            if isinstance(exc, TypeError) and "'str'" in message:
                message += " (text is not a number: write recipient.FIELD | int)"
            raise record.error(f"{self.label}: {message}") from None


def select(
    records: Iterable[Record],
    *,
    only: Iterable[str] = (),
    where: Where | None = None,
    context: Context | None = None,
    limit: int | None = None,
) -> Iterator[Record]:
    """Yield the records chosen by ``only`` (ids), then ``where``, at most ``limit`` of them.

    Reading stops at the ``limit``-th chosen record. An ``only`` id that no record has is a
    :class:`UsageError` (unless the limit stopped the reading first).
    """
    wanted = set(only)
    found: set[str] = set()
    chosen = 0
    if limit is not None and limit <= 0:
        return
    for record in records:
        if wanted:
            if record.id not in wanted:
                continue
            found.add(record.id)
        if where is not None and context is not None and not where(record, context(record)):
            continue
        yield record
        chosen += 1
        if limit is not None and chosen >= limit:
            return
    missing = sorted(wanted - found)
    if missing:
        raise UsageError("--only: no record has the id " + ", ".join(map(repr, missing)))


def no_records(
    counts: Sequence[tuple[Path, int]], *, only: Iterable[str] = (), where: Where | None = None
) -> RecipientsError:
    """Return the error for a run without a record: which files were read, how many records
    each held, and (when there were records) what chose none of them.

    A run with no letter to write is a mistake (an empty export, a header-only CSV, a
    ``--where`` that is never true), not a success of zero letters.
    """
    read = ", ".join(f"{path} ({_records(count)})" for path, count in counts)
    choosers = ([f"--only {', '.join(only)}"] if only else []) + ([where.label] if where else [])
    if any(count for _, count in counts) and choosers:
        return RecipientsError(f"no record is chosen by {' and '.join(choosers)}; read {read}")
    return RecipientsError(
        f"no records to write letters to; read {read}: add records, or name another recipients file"
    )


def _records(count: int) -> str:
    """``1 record``, ``3 records``."""
    return f"{count} record{'' if count == 1 else 's'}"
