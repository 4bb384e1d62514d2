"""Bare field names: ``names: bare`` puts a record's fields at the top of a letter's context.

docxtpl and mailmerge templates print ``{{ title }}``, not ``{{ recipient.title }}``. With
``names: bare`` in a template's front matter (a Word template's ``NAME.yaml``) such a template
runs unchanged; ``recipient.title`` still works. The key is ``names``, not ``fields``: that one
already maps spreadsheet headers to field names in ``lettergen.yaml``.

A field whose name is one of lettergen's own (``recipient``, ``sender``, ``letter``, ``date``)
or a Jinja global (``range``, ``dict``, ...) would hide it: that is an error naming both, never
a letter printing the wrong one. Filters are not hidden (``| title`` and a ``title`` field live
in different namespaces), so a field may be named like a filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from lettergen.errors import TemplateError

NAMES_KEY = "names"
_VALUES = ("bare", "recipient")

# What each of lettergen's own names is, for the error of a field that would hide it.
OWN_NAMES = {
    "recipient": "the record itself",
    "sender": "the signatory",
    "letter": "the letter's values",
    "date": "the letter's date",
}


class UndefinedNameError(jinja2.UndefinedError):
    """A template used a bare name that nothing defines (``{{ title }}``)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def bare_names(letter: Mapping[str, Any], path: Path) -> bool:
    """Tell whether a template's letter values (front matter, ``NAME.yaml``) ask for bare names."""
    value = letter.get(NAMES_KEY, "recipient")
    if value not in _VALUES:
        raise TemplateError(
            f"'{NAMES_KEY}: {value}' is not known: write '{NAMES_KEY}: bare' to use the "
            "record's fields by their own names ({{ title }}), or leave it out "
            "({{ recipient.title }})",
            path=path,
            field=NAMES_KEY,
        )
    return bool(value == "bare")


def shadowed(fields: Iterable[str], globals_: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the first field that would hide a name of lettergen or Jinja, and what it hides."""
    for name in fields:
        if name in OWN_NAMES:
            return name, f"lettergen's '{name}' ({OWN_NAMES[name]})"
        if name in globals_:
            return name, f"the template function '{name}'"
    return None


def shadow_message(field: str, hidden: str) -> str:
    """Say that the record field ``field`` would hide ``hidden`` under ``names: bare``."""
    return (
        f"with '{NAMES_KEY}: bare', the record's field '{field}' would hide {hidden}: rename "
        f"the field (--map '{field}=record_{field}', or 'fields:' in lettergen.yaml) and print "
        f"it as {{{{ record_{field} }}}}"
    )


def bare_hint(name: str, record: Mapping[str, Any], where: str) -> str:
    """Return the hint for an undefined bare ``name`` that the record has as a field."""
    if name not in record:
        return ""
    return (
        f"; did you mean 'recipient.{name}'? (the record has a field '{name}'; "
        f"'{NAMES_KEY}: bare' {where} puts the record's fields under their own names)"
    )


def bare_fields(tree: nodes.Template, globals_: Mapping[str, Any]) -> set[str]:
    """Return the ``recipient.`` fields a bare-names template uses by their own names."""
    return {
        f"recipient.{name}"
        for name in meta.find_undeclared_variables(tree)
        if name not in OWN_NAMES and name not in globals_ and not name.startswith("_")
    }
