"""Tests and conditions on a missing name fail as printing it would.

Jinja's tests (``is mapping``, ``is string``, ``is none``, ``is sameas``, ...) answer False for
an undefined value instead of failing, so ``{% if recipient.office is mapping %}`` with no
``office`` field quietly drops its paragraphs: a wrong letter with no error. Every test but
``defined`` and ``undefined`` (whose job is to ask) is therefore wrapped to fail on an
undefined value, with the very error printing that value gives. ``| default`` is a filter
and stays the way to say "this field may be missing".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.utils import _PassArg

# The tests that exist to ask whether a name is there.
LENIENT_TESTS = frozenset({"defined", "undefined"})


def strict_tests(tests: Mapping[str, Any]) -> dict[str, Callable[..., Any]]:
    """Return ``tests`` (but the lenient ones) wrapped to fail on an undefined value."""
    return {name: _strict(test) for name, test in tests.items() if name not in LENIENT_TESTS}


def _strict(test: Callable[..., Any]) -> Callable[..., Any]:
    # A test marked @pass_context or @pass_environment gets that first: skip it.
    skip = 0 if _PassArg.from_obj(test) is None else 1

    @functools.wraps(test)  # keeps the pass_* mark, so Jinja calls it as it called the test
    def strict(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[skip:], *kwargs.values()):
            if isinstance(value, jinja2.Undefined):
                value._fail_with_undefined_error()
        return test(*args, **kwargs)

    return strict
