"""Guards on the filters and methods whose result can be far larger than what they are given.

``''|center(10**9)``, ``text|indent(1000)`` or ``'ab'.replace('', long_text)`` each make one
huge text from small ones. Each guard works out the size of the result from its arguments,
before the work is done, and holds it to :data:`~lettergen.templating.limits.MAX_TEXT` (see
:mod:`lettergen.templating.limits`); the filter or method then runs as Jinja2 or Python has it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2.filters import make_attrgetter

from lettergen.templating.limits import (
    LimitError,
    check_size,
    format_widths,
    is_text,
    is_whole,
    printf_widths,
    weight,
)

# -- sizes of results, worked out before they are made ----------------------------------------


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    """Return a call's argument by position or name, or None."""
    if len(args) > index:
        return args[index]
    return kwargs.get(name)


def replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    """Return the length of ``text.replace(old, new, count)`` without making it."""
    if not (is_text(text) and is_text(old) and is_text(new)):
        return 0
    found = text.count(old) if old else len(text) + 1
    if is_whole(count) and count >= 0:
        found = min(found, count)
    return int(len(text) + found * (len(new) - len(old)))


def joined_size(separator: Any, items: list[Any]) -> int:
    """Return about how long ``separator.join(items)`` is (items of any kind, as text)."""
    gaps = max(len(items) - 1, 0) * (len(separator) if is_text(separator) else 1)
    return gaps + sum(weight(item) for item in items)


# -- methods ------------------------------------------------------------------------------


def guard_method(
    receiver: Any, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Raise if a text's (or number's) method ``name`` would make a result over the caps.

    Returns the arguments to call it with: an iterator given to ``join`` is read into a list
    first, to be measured.
    """
    what = f"'.{name}()'"
    if is_text(receiver):
        if name in ("center", "ljust", "rjust", "zfill"):
            width = _arg(args, kwargs, 0, "width")
            if is_whole(width):
                check_size(width, what)
        elif name == "expandtabs":
            size = _arg(args, kwargs, 0, "tabsize")
            if is_whole(size):
                check_size(len(receiver) * max(size, 1), what)
        elif name == "replace":
            old, new = _arg(args, kwargs, 0, "old"), _arg(args, kwargs, 1, "new")
            check_size(replaced_size(receiver, old, new, _arg(args, kwargs, 2, "count")), what)
        elif name == "join" and args:
            items = list(args[0])
            check_size(joined_size(receiver, items), what)
            return (items, *args[1:])
        elif name in ("format", "format_map") and isinstance(receiver, str):
            given = args[0] if name == "format_map" and args else kwargs
            extra = format_widths(receiver, args if name == "format" else (), given)
            check_size(len(receiver) + extra, what)
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((weight(v) for v in args[0].values()), default=1)
            check_size(len(receiver) * max(longest, 1), what)
    elif is_whole(receiver) and name == "to_bytes":
        length = _arg(args, kwargs, 0, "length")
        if is_whole(length):
            check_size(length, what)
    return args


# -- filters ------------------------------------------------------------------------------

# A filter's guard: given the environment and the filter's own arguments (after the context
# Jinja passes some filters), raise if the result would be over the caps; return the
# arguments to call the filter with.
Guard = Callable[[Any, list[Any], dict[str, Any]], list[Any]]


def _center(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    width = _arg(tuple(args), kwargs, 1, "width")
    if is_whole(width):
        check_size(width, "'center'")
    return args


def _indent(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text, width = args[0], _arg(tuple(args), kwargs, 1, "width")
    if is_text(text):
        step = width if is_whole(width) else len(width) if is_text(width) else 0
        check_size(len(text) + (text.count("\n") + 1) * max(step, 0), "'indent'")
    return args


def _format(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    if is_text(args[0]):
        given = kwargs or tuple(args[1:])
        check_size(len(args[0]) + printf_widths(args[0], given), "'format'")
    return args


def _items(env: Any, value: Any, attribute: Any) -> list[Any]:
    """Read the items a filter is given, each replaced by its ``attribute`` if one is named."""
    items = list(value) if isinstance(value, Iterable) else [value]
    if attribute is not None:
        items = list(map(make_attrgetter(env, attribute), items))
    return items


def _join(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    separator = _arg(tuple(args), kwargs, 1, "d")
    items = _items(env, args[0], kwargs.pop("attribute", args[2] if len(args) > 2 else None))
    check_size(joined_size("" if separator is None else separator, items), "'join'")
    return [items, *args[1:2]]


def _replace(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text, old, new = (_arg(tuple(args), kwargs, i, n) for i, n in enumerate(("s", "old", "new")))
    check_size(replaced_size(text, old, new, _arg(tuple(args), kwargs, 3, "count")), "'replace'")
    return args


def _wordwrap(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    text, width = args[0], _arg(tuple(args), kwargs, 1, "width")
    wrap = _arg(tuple(args), kwargs, 3, "wrapstring")
    if is_text(text):
        lines = len(text) // max(width if is_whole(width) else 79, 1) + text.count("\n") + 1
        check_size(len(text) + lines * (len(wrap) if is_text(wrap) else 1), "'wordwrap'")
    return args


def _batch(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    count = _arg(tuple(args), kwargs, 1, "linecount")
    if is_whole(count) and _arg(tuple(args), kwargs, 2, "fill_with") is not None:
        check_size(count, "'batch'")
    return args


def _slice(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    count = _arg(tuple(args), kwargs, 1, "slices")
    if is_whole(count):
        check_size(count, "'slice'")
    return args


def _sum(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    start = _arg(tuple(args), kwargs, 2, "start")
    if start is not None and not isinstance(start, int | float):
        # Adding lists one by one copies the total again for each: quadratic in time.
        raise LimitError(
            "template limit: 'sum' adds numbers; to put lists together, loop over each"
        )
    return args


def _tojson(env: Any, args: list[Any], kwargs: dict[str, Any]) -> list[Any]:
    indent = _arg(tuple(args), kwargs, 1, "indent")
    if is_whole(indent):
        check_size(weight(args[0]) * (indent + 1), "'tojson'")
    return args


GUARDS: dict[str, Guard] = {
    "center": _center,
    "indent": _indent,
    "format": _format,
    "join": _join,
    "replace": _replace,
    "wordwrap": _wordwrap,
    "batch": _batch,
    "slice": _slice,
    "sum": _sum,
    "tojson": _tojson,
}


def guarded(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """Return the filter ``original`` behind its guard (Jinja passes it the same arguments)."""
    guard = GUARDS[name]
    passes = hasattr(original, "jinja_pass_arg")

    @functools.wraps(original)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        passed, own = (args[:1], list(args[1:])) if passes else ((), list(args))
        first = passed[0] if passed else None
        env = getattr(first, "environment", first)
        return original(*passed, *guard(env, own, kwargs), **kwargs)

    return filter_


def guarded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Return the filters of ``filters`` that need a guard, behind their guards."""
    return {name: guarded(name, filters[name]) for name in GUARDS if name in filters}


def guard_lipsum(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Raise if ``lipsum(n, html, min, max)`` would make more than the caps allow."""
    count, most = _arg(args, kwargs, 0, "n"), _arg(args, kwargs, 3, "max")
    count = 5 if count is None else count
    most = 100 if most is None else most
    if is_whole(count) and is_whole(most):
        # A word of lorem ipsum is at most a dozen characters.
        check_size(max(count, 0) * max(most, 0) * 12, "'lipsum'")
