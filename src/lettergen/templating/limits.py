"""Template limits: how much one letter's template may make, loop, nest and take.

Templates come from campaign partners and spreadsheets mailed around. Jinja2's sandbox stops a
template from reaching Python's insides and from asking for a ``range()`` of a billion, but not
from asking for a text of a billion characters (``'x' * 10**9``), a number of a billion digits
(``9 ** (9 ** 9)``), two nested loops of 100,000 or a macro that calls itself. The sandboxed
environment (:mod:`lettergen.templating.environment`) checks each of these in the sandbox's
own hooks (operators, calls, filters, loops, printed values) against the caps below, before
the work is done, and raises :class:`LimitError`, which names the template line.

The caps are far above what a letter needs (a long letter is 10,000 characters) and are
counted per rendering: one text letter, or one part (body, header, footer) of a Word letter.
"""

from __future__ import annotations

import string
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import jinja2

# The caps, in one place (the README's "Template limits" lists them for users).
# Characters in one text (or items in one list) that an operator, filter or method makes.
MAX_TEXT = 1_000_000
# Characters of one rendered letter: its text, or one part's text.
MAX_LETTER = 1_000_000
# Characters of one rendered part of a Word letter as XML, which wraps each run of text in
# formatting markup (the text itself is held to MAX_LETTER).
MAX_MARKUP = 50_000_000
# Characters made (by operators, filters and methods) or printed while rendering one letter,
# macro output included (a macro's output is printed again where it is used, so nesting
# counts it more than once).
MAX_MADE = 10 * MAX_LETTER
# Bits of a whole number a template computes: about 3,000 decimal digits.
MAX_INT_BITS = 10_000
# Loop iterations (every ``for``, nested loops multiplied) while rendering one letter.
MAX_ITERATIONS = 1_000_000
# Calls in progress at once: a macro calling a macro ... calling a macro.
MAX_DEPTH = 50
# Seconds one letter may take to render.
MAX_SECONDS = 10.0

# How often (in counted steps) the clock is read.
CLOCK_EVERY = 64


class LimitError(jinja2.TemplateRuntimeError):
    """A template asked for more than a letter may take (see the caps above)."""


def _number(value: int) -> str:
    return f"{value:,}"


class Budget:
    """What one rendering has used so far: loop iterations, characters made, call depth and
    time. :data:`current` holds the budget of the rendering under way.

    Reading the clock costs more than most steps it times, so it is read every
    ``CLOCK_EVERY``-th step, and the clock starts at the first reading.
    """

    __slots__ = ("deadline", "depth", "iterations", "made", "steps")

    def __init__(self) -> None:
        self.deadline = 0.0
        self.iterations = 0
        self.made = 0
        self.depth = 0
        self.steps = 0

    def step(self) -> None:
        """Count one hooked step (a loop started, a call, a text made); check the time now
        and then."""
        self.steps += 1
        if not self.steps % CLOCK_EVERY:
            self.check_time()

    def check_time(self) -> None:
        """Raise if this letter has taken longer than MAX_SECONDS."""
        now = time.monotonic()
        if not self.deadline:
            self.deadline = now + MAX_SECONDS
        elif now > self.deadline:
            raise LimitError(
                f"template limit: rendering one letter took more than {MAX_SECONDS:g} seconds; "
                "look for loops over large lists or repeated work on long texts in the template"
            )

    def iterate(self, count: int) -> None:
        """Count ``count`` loop iterations about to run."""
        self.iterations += count
        if self.iterations > MAX_ITERATIONS:
            raise LimitError(
                f"template limit: loops ran more than {_number(MAX_ITERATIONS)} times for one "
                "letter; check this loop's range or list (and the loops around it)"
            )
        self.step()

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Yield ``iterable``'s items, counting each as a loop iteration."""
        for item in iterable:
            self.iterate(1)
            yield item

    def timed(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Yield the items of a long loop (counted already), checking the time now and then."""
        for item in iterable:
            self.step()
            yield item

    def make(self, size: int) -> None:
        """Count ``size`` characters made or printed."""
        self.made += size
        if self.made > MAX_MADE:
            raise LimitError(
                f"template limit: one letter made or printed more than {_number(MAX_MADE)} "
                "characters; check the loops and macros around this line"
            )
        self.step()

    def enter(self) -> None:
        """Count one call starting (its end is :meth:`leave`)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(
                f"template limit: calls nested more than {MAX_DEPTH} deep (a macro that calls "
                "itself without end?); make sure every macro that calls itself stops"
            )
        self.step()

    def leave(self) -> None:
        """Count one call ended."""
        self.depth -= 1


# The budget of the rendering under way, if any (see environment's template class).
current: ContextVar[Budget | None] = ContextVar("lettergen_template_budget", default=None)


def budget() -> Budget:
    """Return the budget of the rendering under way, or a fresh one (an expression evaluated
    on its own, like ``--where``, has no rendering around it)."""
    found = current.get()
    return Budget() if found is None else found


def too_long(size: int, what: str, cap: int = MAX_TEXT, unit: str = "characters") -> LimitError:
    """Return the error for a ``what`` that would make ``size`` characters (or items)."""
    return LimitError(
        f"template limit: {what} would make {_number(size)} {unit}, more than the "
        f"{_number(cap)} a template may make; check the numbers and texts it is given"
    )


def check_size(size: int, what: str) -> None:
    """Raise if ``what`` would make more than MAX_TEXT characters; count them as made."""
    if size > MAX_TEXT:
        raise too_long(size, what)
    budget().make(size)


def check_letter(size: int, cap: int) -> None:
    """Raise if a rendered letter (or part of one) would be longer than ``cap`` characters."""
    if size > cap:
        raise LimitError(
            f"template limit: the letter would be {_number(size)} characters long, more than "
            f"{_number(cap)}; check the loops and long values it prints"
        )


def weight(value: Any, depth: int = 0) -> int:
    """Return about how many characters ``value`` takes as text: a text's length, a list's
    items and what they hold. Counting stops once past MAX_TEXT."""
    if isinstance(value, str | bytes):
        return len(value)
    if depth > 20:
        return MAX_TEXT + 1
    if isinstance(value, list | tuple):
        total = len(value)
        for item in value:
            total += weight(item, depth + 1)
            if total > MAX_TEXT:
                break
        return total
    if isinstance(value, Mapping):
        total = len(value)
        for key, item in value.items():
            total += weight(key, depth + 1) + weight(item, depth + 1)
            if total > MAX_TEXT:
                break
        return total
    return 1


def is_text(value: Any) -> bool:
    return isinstance(value, str | bytes)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def is_whole(value: Any) -> bool:
    return isinstance(value, int)


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Raise if ``left OPERATOR right`` would make a text, list or number over the caps."""
    if operator == "*":
        if _is_sequence(left) and is_whole(right):
            check_size(weight(left) * max(right, 0), f"'{operator}'")
        elif _is_sequence(right) and is_whole(left):
            check_size(weight(right) * max(left, 0), f"'{operator}'")
        elif is_whole(left) and is_whole(right):
            check_bits(left.bit_length() + right.bit_length())
    elif operator == "**":
        if is_whole(left) and is_whole(right) and right > 0 and abs(left) > 1:
            # A power's bits: the exponent times the base's bits (at least one less).
            check_bits(right * (abs(left).bit_length() - 1) + 1)
    elif operator == "+":
        if _is_sequence(left) and _is_sequence(right):
            check_size(weight(left) + weight(right), "'+'")
    elif operator == "%" and is_text(left):
        check_size(len(left) + printf_widths(left, right), "'%' formatting")


def check_bits(bits: int) -> None:
    """Raise if a number of ``bits`` bits is over MAX_INT_BITS."""
    if bits > MAX_INT_BITS:
        raise LimitError(
            f"template limit: this would compute a number of about {_number(bits)} bits, more "
            f"than the {_number(MAX_INT_BITS)} (about 3,000 digits) a template may; check the "
            "numbers it is given"
        )


def _digits(text: str, start: int) -> tuple[int, int]:
    """Read the decimal number at ``start`` of a format; return it and where it ends."""
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    if end == start:
        return 0, end
    # More digits than that is more than any cap: do not build a huge int to find out.
    return (int(text[start:end]) if end - start <= 18 else 10**18), end


def _whole_values(args: Any) -> int:
    """Return the sum of the whole numbers in ``args`` (which may give widths: ``%*s``)."""
    values: Iterable[Any]
    if isinstance(args, Mapping):
        values = args.values()
    elif isinstance(args, tuple | list):
        values = args
    else:
        values = (args,)
    return sum(abs(v) for v in values if is_whole(v))


def printf_widths(fmt: str | bytes, args: Any) -> int:
    """Return the characters the widths and precisions of a ``%`` format may add."""
    text = fmt if isinstance(fmt, str) else fmt.decode("latin-1")
    total = 0
    index = text.find("%")
    while index >= 0:
        index += 1
        if text[index : index + 1] == "(":
            index = text.find(")", index) + 1
            if index <= 0:
                break
        while text[index : index + 1] in ("#", "0", "-", " ", "+"):
            index += 1
        for _ in ("width", "precision"):
            if text[index : index + 1] == "*":
                total += _whole_values(args)
                index += 1
            else:
                value, index = _digits(text, index)
                total += value
            if text[index : index + 1] != ".":
                break
            index += 1
        index = text.find("%", index + 1)
    return total


def format_widths(fmt: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> int:
    """Return the characters the widths and precisions of a ``str.format`` format may add."""
    total = 0
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is None or not spec:
            continue
        if "{" in spec:
            # A width given as an argument: ``'{:{}}'.format(text, width)``.
            total += _whole_values(list(args)) + _whole_values(kwargs)
            continue
        index = 0
        while index < len(spec):
            value, end = _digits(spec, index)
            total += value
            index = end + 1 if end == index else end
    return total
