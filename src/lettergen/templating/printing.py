"""A list or mapping printed as text: an error naming the field and how to print it.

``{{ recipient.city }}`` with ``city: [Paris, Lyon]`` would print ``['Paris', 'Lyon']`` in a
letter to a minister. The environment's ``printed`` hook refuses it; this module names the
field (from the template's own words when it printed a dotted path, otherwise by finding the
value among the letter's fields) and says how to print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

# The names under which a letter's fields reach a template (see environment.context_for).
_ROOTS = ("recipient", "sender", "letter")


class PrintedContainerError(jinja2.TemplateRuntimeError):
    """A template printed a list or a mapping as if it were text."""


def find_field(value: Any, context: Mapping[str, Any]) -> str | None:
    """Return the dotted path (``recipient.offices[1].cities``) holding ``value``, or None."""
    for root in _ROOTS:
        found = _find(value, context.get(root), root, 0)
        if found is not None:
            return found
    return None


def _find(value: Any, holder: Any, path: str, depth: int) -> str | None:
    if holder is value:
        return path
    if depth > 10:
        return None
    if isinstance(holder, Mapping):
        items = ((f"{path}.{key}", item) for key, item in holder.items())
    elif isinstance(holder, list | tuple):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(holder))
    else:
        return None
    for where, item in items:
        if isinstance(item, Mapping | list | tuple):
            found = _find(value, item, where, depth + 1)
            if found is not None:
                return found
    return None


def _preview(items: Any) -> str:
    text = ", ".join(str(item) for item in list(items)[:5])
    return text if len(text) <= 60 else text[:57] + "..."


def printed_container(value: Any, context: Any, name: str | None) -> PrintedContainerError:
    """Return the error for ``value`` (a list or mapping) printed as text."""
    name = name or find_field(value, context)
    if isinstance(value, Mapping):
        kind = f"a mapping (of {_preview(value.keys()) or 'nothing'})"
        first = next(iter(value), "NAME")
        how = f"print one of its fields, e.g. {{{{ {name or 'VALUE'}.{first} }}}}"
    elif name:
        kind = f"a list ({_preview(value)})"
        how = (
            f"print its items with {{{{ {name} | join(', ') }}}}, "
            f"or loop over them: {{% for item in {name} %}}"
        )
    else:
        kind = f"a list ({_preview(value)})"
        how = "print its items with | join(', '), or loop over them with {% for item in ... %}"
    what = f"field '{name}' is {kind}" if name else f"{kind[0].upper()}{kind[1:]} is"
    return PrintedContainerError(f"{what} printed as text: {how}")
