"""lettergen: personalised letters to many officials from one template and a recipient list.

The library behind the ``lettergen`` command. Proofread a batch, then write it::

    from pathlib import Path

    from lettergen import MergeOptions, RenderOptions, check, render

    merge = MergeOptions(
        template=Path("templates/appeal.txt.j2"),
        recipients=[Path("recipients/french-government.yaml")],
    )
    report = check(merge)
    for line in report.lines():
        print(line)
    if not report.failed():
        summary = render(merge, RenderOptions(output_dir=Path("letters"), formats=["txt"]))
        print(f"{summary.letters} letters in {summary.out_dir}")

:func:`render` checks every letter again before it writes the first, and writes nothing when
one fails. :class:`Merge` yields the letters themselves (``Merge(merge).letters()``) for a
program that wants the text. Every error is a :class:`LettergenError` whose ``str()`` names the
file, line, record and field.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lettergen.errors import LettergenError
from lettergen.options import MergeOptions, RenderOptions

if TYPE_CHECKING:
    from lettergen.checks import check_files as check
    from lettergen.merge.render import Merge
    from lettergen.output.run import render

__all__ = ["LettergenError", "Merge", "MergeOptions", "RenderOptions", "check", "render"]

# Imported when first used, so that ``import lettergen.cli`` (and ``lettergen --help``) stays
# light: these pull in Jinja, and the writers python-docx and lxml.
_LAZY = {
    "check": ("lettergen.checks", "check_files"),
    "Merge": ("lettergen.merge.render", "Merge"),
    "render": ("lettergen.output.run", "render"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'lettergen' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
