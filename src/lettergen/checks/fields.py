"""Which record fields a template uses and which a record has, for the checks and ``fields``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import nodes

from lettergen.checks.findings import (
    LISTED,
)
from lettergen.checks.identity import IDENTITY_FIELDS, SALUTATION
from lettergen.inputs.recipients import read_file
from lettergen.protocol.proposals import READS
from lettergen.templating.addresses import READS as ADDRESS_READS
from lettergen.templating.environment import LetterTemplate
from lettergen.templating.forms import FORM_FILTERS
from lettergen.templating.hooks import dotted_path
from lettergen.templating.loading import load_template


@dataclass
class FieldUse:
    """How a template uses one field: where, and whether it may be missing or empty."""

    name: str
    line: int
    optional: bool = False  # tested with `is defined` or given a `default`
    guarded: bool = False  # tested for truth, so an empty value is expected
    conditional: bool = True  # every use is inside an `if`, a loop or a macro


class TemplateUse:
    """The fields one template uses, and whether it promises personalised paragraphs."""

    def __init__(self, template: LetterTemplate, name_pattern: str | None = None) -> None:
        self.template = template
        self.uses: dict[str, FieldUse] = {}
        self.dynamic = False  # `recipient[key]` or `recipient.items()`: every field may be used
        # Fields a filter reads when the record has them (`recipient | salutation`: the title).
        self.read_by_filters: set[str] = set()
        tree = template.env.parse(template.body)
        self._walk(tree, conditional=False)
        if name_pattern:
            self._walk(template.env.parse(name_pattern), conditional=False)
        # Drop prefixes: "recipient.address" when "recipient.address.city" is also used.
        for key in [k for k in self.uses if any(q.startswith(k + ".") for q in self.uses)]:
            del self.uses[key]
        self.salutation_line = self._salutation_line()
        self.personalised = self._personalised_fields()
        # The recipient's fields, each as its path below the record and its use.
        self.recipient_uses = [
            (name, name.split(".")[1:], use)
            for name, use in self.uses.items()
            if name.split(".")[0] == "recipient"
        ]

    def _use(self, path: str, line: int, conditional: bool) -> FieldUse:
        use = self.uses.get(path)
        if use is None:
            use = self.uses[path] = FieldUse(path, self.template.line(line))
        use.conditional = use.conditional and conditional
        return use

    def _walk(self, node: nodes.Node, conditional: bool) -> None:
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            path = dotted_path(node)
            if path is not None:
                self._use(path, node.lineno, conditional)
                return
            if (
                isinstance(node, nodes.Getitem)
                and isinstance(node.node, nodes.Name)
                and node.node.name == "recipient"
            ):
                self.dynamic = True
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            # `recipient.name.upper()`: the field is `recipient.name`, not `.upper`.
            if isinstance(node.node.node, nodes.Name) and node.node.node.name == "recipient":
                self.dynamic = True
            self._walk(node.node.node, conditional)
            for child in [*node.args, *node.kwargs]:
                self._walk(child, conditional)
            return
        if isinstance(node, nodes.If | nodes.CondExpr):
            self._mark(node.test, guarded=True)
            self._walk(node.test, conditional)
            branches = (
                [*node.body, *node.elif_, *node.else_]
                if isinstance(node, nodes.If)
                else [node.expr1, *([node.expr2] if node.expr2 is not None else [])]
            )
            for child in branches:
                self._walk(child, True)
            return
        if isinstance(node, nodes.And | nodes.Or):
            self._mark(node.left, guarded=True)
            self._walk(node.left, conditional)
            self._walk(node.right, True)
            return
        if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
            self._mark(node.node, optional=True, guarded=True)
        if (
            isinstance(node, nodes.Filter)
            and node.name in FORM_FILTERS
            and isinstance(node.node, nodes.Name)
            and node.node.name == "recipient"
        ):
            # `recipient | salutation` prints the record's own field or protocol's form, which
            # reads who the recipient is: those fields are used, none is required.
            self._use(f"recipient.{node.name}", node.lineno, conditional=True).optional = True
            self.read_by_filters.update(f"recipient.{field}" for field in READS)
        if (
            isinstance(node, nodes.Filter)
            and node.name == "address_block"
            and isinstance(node.node, nodes.Name)
            and node.node.name == "recipient"
        ):
            # `recipient | address_block` reads the address's parts the record has: the address
            # is used (listed by `fields`), ready-made or in parts, so none is required.
            self._use("recipient.address", node.lineno, conditional=True).optional = True
            self.read_by_filters.update(f"recipient.{field}" for field in ADDRESS_READS)
        if isinstance(node, nodes.Filter) and node.name in ("default", "d"):
            truthy = len(node.args) > 1 or any(k.key == "boolean" for k in node.kwargs)
            self._mark(node.node, optional=True, guarded=truthy)
        if isinstance(node, nodes.For):
            self._walk(node.iter, conditional)
            for child in [*node.body, *node.else_]:
                self._walk(child, True)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            conditional = True
        for child in node.iter_child_nodes():
            self._walk(child, conditional)

    def _mark(
        self, node: nodes.Node | None, *, optional: bool = False, guarded: bool = False
    ) -> None:
        if node is None:
            return
        targets = [node, *node.find_all((nodes.Getattr, nodes.Getitem))]
        for target in targets:
            if not isinstance(target, nodes.Getattr | nodes.Getitem):
                continue
            path = dotted_path(target)
            if path is None:
                continue
            use = self._use(path, target.lineno, conditional=True)
            use.optional = use.optional or optional
            use.guarded = use.guarded or guarded

    def _salutation_line(self) -> int | None:
        """Return the template line of the salutation (``recipient.salutation`` or ``Dear``)."""
        use = self.uses.get("recipient.salutation")
        if use is not None:
            return use.line
        for number, line in enumerate(self.template.body.split("\n"), start=1):
            if SALUTATION.match(line) and len(line) < 80:
                return self.template.line(number)
        return None

    def _personalised_fields(self) -> list[FieldUse]:
        """Return recipient fields the body uses beyond who the recipient is."""
        meta = self.template.meta
        flag = meta.get("personalised", meta.get("personalized"))
        after = self.salutation_line or 0
        found = [
            use
            for use in self.uses.values()
            if use.name.startswith("recipient.")
            and use.name.split(".")[1] not in IDENTITY_FIELDS
            and use.line > after
        ]
        if flag is True and not found:
            return [FieldUse("personalised: true", self.template.line(1))]
        return found

    @property
    def fields(self) -> list[str]:
        """The dotted fields the template uses, sorted."""
        return sorted(self.uses)


MISSING = object()


def lookup(data: Mapping[str, Any], parts: list[str]) -> Any:
    """Return the value at a dotted path in ``data``, or :data:`MISSING`."""
    value: Any = data
    for part in parts:
        # type() first: the abstract Mapping check is slow, and records are plain dicts.
        if (type(value) is dict or isinstance(value, Mapping)) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def is_empty(value: Any) -> bool:
    """Return whether a field's value would print as nothing."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return len(value) == 0
    return False


def _leaves(value: Any) -> Iterator[Any]:
    """Yield every value in a record that is not a mapping or a list, as it is."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def raw_strings(value: Any) -> Iterator[str]:
    """Yield every string in a record as it is (stripping would drop a vertical tab)."""
    return (leaf for leaf in _leaves(value) if isinstance(leaf, str))


def leaf_strings(value: Any) -> Iterator[str]:
    """Yield every string in a record (and each line of multi-line strings), stripped."""
    for leaf in _leaves(value):
        if leaf is None or isinstance(leaf, bool):
            continue
        text = str(leaf).strip()
        if text:
            yield text
            if "\n" in text:
                yield from (line.strip() for line in text.splitlines() if line.strip())


def field_keys(data: Mapping[str, Any], prefix: str = "recipient") -> Iterator[str]:
    """Yield the dotted keys of a record, one level into nested mappings."""
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if isinstance(value, Mapping) and value and prefix == "recipient":
            yield from (f"{path}.{k}" for k in value)
        else:
            yield path


def listed(ids: list[str], count: int) -> str:
    more = count - len(ids)
    return ", ".join(ids) + (f" and {more} more" if more > 0 else "")


@dataclass
class FieldInfo:
    """One field a template uses, and the records that lack it or hold it empty."""

    name: str
    line: int
    optional: bool
    lacking: list[str] = field(default_factory=list)
    lacking_count: int = 0
    empty_count: int = 0

    def describe(self, total: int | None) -> str:
        """One line: the field, where the template uses it, and who lacks it."""
        text = f"{self.name}  (template line {self.line}{', optional' if self.optional else ''})"
        if total is None:
            return text
        if self.lacking_count:
            ids = listed(self.lacking, self.lacking_count)
            text += f": {self.lacking_count} of {total} record(s) lack it: {ids}"
        if self.empty_count:
            text += f"; {self.empty_count} of {total} hold it empty"
        return text


def field_table(
    template: Path, recipients: Sequence[Path] = (), encoding: str | None = None
) -> tuple[list[FieldInfo], int | None]:
    """Return the fields ``template`` uses and, given recipients, who lacks which.

    The second value is the number of records read (None without recipients).
    """
    use = TemplateUse(load_template(template, encoding))
    infos = {name: FieldInfo(name, u.line, u.optional) for name, u in sorted(use.uses.items())}
    if not recipients:
        return list(infos.values()), None
    total = 0
    for path in recipients:
        for record in read_file(path, encoding=encoding):
            total += 1
            for name, info in infos.items():
                parts = name.split(".")
                if parts[0] != "recipient":
                    continue
                value = lookup(record.fields, parts[1:])
                if value is MISSING:
                    info.lacking_count += 1
                    if len(info.lacking) < LISTED:
                        info.lacking.append(record.id)
                elif is_empty(value):
                    info.empty_count += 1
    return list(infos.values()), total
