"""Letter templates: front matter, the sandboxed Jinja2 environment, filters and rendering.

Templates may come from other people, so Jinja2 runs in its immutable sandbox, loads includes
only from the template's own folder, and treats a missing field as an error (StrictUndefined):
"Dear ," to a minister is the worst thing this tool could print.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from functools import cached_property
from itertools import islice
from pathlib import Path
from types import BuiltinMethodType, TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from lettergen.confine import IncludeLoader
from lettergen.errors import TemplateError
from lettergen.inputs.textfiles import load_yaml_value, read_text
from lettergen.templating.addresses import address_block_filter
from lettergen.templating.forms import FORM_FILTERS
from lettergen.templating.guards import guard_lipsum, guard_method, guarded_filters
from lettergen.templating.hooks import LimitedCodeGenerator, LimitedTemplate, dotted_path
from lettergen.templating.limits import (
    CLOCK_EVERY,
    MAX_ITERATIONS,
    MAX_LETTER,
    MAX_MARKUP,
    Budget,
    LimitError,
    budget,
    check_binop,
    check_letter,
    check_size,
    current,
)
from lettergen.templating.mergeformat import MERGE_FILTERS
from lettergen.templating.names import UndefinedNameError, bare_fields, bare_names
from lettergen.templating.printing import PrintedContainerError, printed_container
from lettergen.templating.strict import strict_tests
from lettergen.templating.valuefilters import format_date_filter, lines_filter

# Markers around every value a template prints: `preview` highlights the values, the checks
# tell a record's words from the template's own.
MARK_START = "\ue000"
MARK_END = "\ue001"
# One printed value, marked; its group is the value itself.
MARKED_VALUE = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


class Fields(dict[str, Any]):
    """A record's (or profile's) fields that know their dotted path, for error messages."""

    # A leading underscore keeps the sandbox from ever showing it to a template.
    __slots__ = ("_path",)

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        super().__init__(data)
        self._path = path

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        # Nested mappings are wrapped lazily so that flat records cost nothing extra.
        if type(value) is dict:
            value = Fields(value, f"{self._path}.{key}")
            self[key] = value
        elif type(value) is list and any(type(item) is dict for item in value):
            value = [Fields(v, f"{self._path}.{key}") if type(v) is dict else v for v in value]
            self[key] = value
        return value


class MissingField(jinja2.StrictUndefined):
    """StrictUndefined whose error names the dotted field, e.g. ``recipient.salutation``."""

    __slots__ = ()

    @property
    def field_name(self) -> str:
        obj = self._undefined_obj
        name = str(self._undefined_name)
        if isinstance(obj, Fields):
            return f"{obj._path}.{name}"
        return name

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_exception is not jinja2.UndefinedError:
            raise self._undefined_exception(self._undefined_message)
        if self._undefined_hint is None and self._undefined_obj is not jinja2.utils.missing:
            raise MissingFieldError(self.field_name)
        if self._undefined_hint is None:
            raise UndefinedNameError(self._undefined_message, str(self._undefined_name))
        raise jinja2.UndefinedError(self._undefined_message)

    __str__ = _fail_with_undefined_error
    __iter__ = _fail_with_undefined_error
    __len__ = _fail_with_undefined_error
    __eq__ = _fail_with_undefined_error
    __ne__ = _fail_with_undefined_error
    __bool__ = _fail_with_undefined_error
    __hash__ = _fail_with_undefined_error
    __contains__ = _fail_with_undefined_error


# Every other operation Jinja's Undefined refuses (comparing, adding, ``| int``, calling ...)
# fails as a missing field too, not with Jinja's "'Fields object' has no attribute" message.
for _name in dir(jinja2.Undefined):
    if getattr(jinja2.Undefined, _name) is jinja2.Undefined._fail_with_undefined_error:
        setattr(MissingField, _name, MissingField._fail_with_undefined_error)
del _name


class MissingFieldError(jinja2.UndefinedError):
    """A template used a field that the record (or profile) does not have."""

    def __init__(self, field: str) -> None:
        super().__init__(f"missing field '{field}'")
        self.field = field


# What rendering a template for a record can raise because of the template or the record
# (never because of a bug in lettergen): each is reported naming the record and the line.
RENDER_ERRORS: tuple[type[Exception], ...] = (
    jinja2.TemplateError,
    SecurityError,
    ArithmeticError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    # A template that includes itself: no call to count, so Python's own limit stops it.
    RecursionError,
)


def _mark(value: Any) -> Any:
    """Wrap a printed value in preview markers."""
    return f"{MARK_START}{'' if value is None else value}{MARK_END}"


# Loops of this many items or more are timed item by item (see _Sandbox.loop_guard).
_TIMED_LOOP = 256


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, finding a record's fields before a dict's methods, and
    holding every rendering to the template limits (:mod:`lettergen.templating.limits`).
    """

    code_generator_class = LimitedCodeGenerator
    template_class = LimitedTemplate
    # The operators that can make a huge text, list or number (and so are never worked out
    # while compiling: the sandbox does not fold intercepted operators into constants).
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    # The longest a rendered letter may be (a Word part's XML may be longer: see overlay).
    output_limit = MAX_LETTER

    def getattr(self, obj: Any, attribute: str) -> Any:
        # ``recipient.name`` reads a field. Jinja tries the attribute first, which costs an
        # AttributeError on every use (a tenth of a text letter's time) and lets dict methods
        # shadow fields named "items", "keys" or "values".
        if type(obj) is Fields:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def overlay(self, **options: Any) -> jinja2.Environment:  # type: ignore[override]
        """Return an overlay; one with its own ``finalize`` writes markup (a Word part's XML,
        every value escaped), which may be longer than the letter's text."""
        env = super().overlay(**options)
        if options.get("finalize") is not None:
            env.output_limit = MAX_MARKUP
        return env

    # -- the limits' hooks: operators, calls, loops, printed values, joined output --

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if type(obj) is BuiltinMethodType:
            args = guard_method(obj.__self__, obj.__name__, args, kwargs)
        elif obj is generate_lorem_ipsum:
            guard_lipsum(args, kwargs)
        found = budget()
        found.enter()
        try:
            return super().call(context, obj, *args, **kwargs)
        finally:
            found.leave()

    def wrap_str_format(self, value: Any) -> Any:
        # The sandbox hands out its own ``str.format``, called without ``call``: guard it too.
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        receiver, name = value.__self__, value.__name__

        @functools.wraps(wrapper)
        def format_(*args: Any, **kwargs: Any) -> str:
            guard_method(receiver, name, args, kwargs)
            return str(wrapper(*args, **kwargs))

        return format_

    @staticmethod
    def loop_guard(iterable: Any) -> Any:
        """Count the iterations of a loop over ``iterable`` (called by every ``for``)."""
        found = current.get() or Budget()
        try:
            count = len(iterable)
        except TypeError:
            return found.counted(iterable)
        # Counted here, not through Budget.iterate: this runs for every loop of every letter.
        found.iterations += count
        found.steps += 1
        if count < _TIMED_LOOP and found.iterations <= MAX_ITERATIONS and found.steps % CLOCK_EVERY:
            return iterable
        found.iterate(0)
        # A long loop's body may take long: its items are timed. (A short one's is not worth
        # the cost; loops inside it and calls in it count as steps.)
        return iterable if count < _TIMED_LOOP else found.timed(iterable)

    @staticmethod
    def printed(value: Any, context: jinja2.runtime.Context, name: str | None) -> Any:
        """Pass a printed value on; refuse a list or mapping printed as text."""
        if type(value) is str or not isinstance(value, list | tuple | Mapping):
            return value
        raise printed_container(value, context, name)

    @staticmethod
    def printed_kept(value: Any, context: jinja2.runtime.Context, name: str | None) -> Any:
        """:meth:`printed`, for output kept until a macro or block ends: count its size."""
        if isinstance(value, str):
            budget().make(len(value))
            return value
        if isinstance(value, list | tuple | Mapping):
            raise printed_container(value, context, name)
        return value

    def str_join(self, values: tuple[Any, ...]) -> str:
        """``a ~ b``: join the values as text, measured before they are joined."""
        texts = [str(value) for value in values]
        check_size(sum(map(len, texts)), "'~'")
        return "".join(texts)

    def measured(self, text: str) -> str:
        """Hold a text made without measuring it first to the size limit."""
        check_size(len(text), "'~'")
        return text

    def concat(self, chunks: Any) -> str:
        """Join a rendering's output (a letter's, a macro's, a block's), measured first."""
        if type(chunks) is list:
            check_letter(sum(map(len, chunks)), self.output_limit)
            return "".join(chunks)
        # A letter's output, as the template makes it: joined and measured a batch at a time,
        # so that a letter too long stops where it grows too long (the error names that line).
        parts: list[str] = []
        size = 0
        while batch := "".join(islice(chunks, 64)):
            size += len(batch)
            if size > self.output_limit:
                try:
                    check_letter(size, self.output_limit)
                except LimitError as error:
                    chunks.throw(error)
                    raise
            parts.append(batch)
        return parts[0] if len(parts) == 1 else "".join(parts)


def make_environment(folder: Path, *, marked: bool = False) -> ImmutableSandboxedEnvironment:
    """Return the sandboxed Jinja2 environment for templates in ``folder``."""
    env = _Sandbox(
        loader=IncludeLoader(folder),
        undefined=MissingField,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_mark if marked else None,
    )
    env.filters["format_date"] = format_date_filter
    env.filters["lines"] = lines_filter
    env.filters["address_block"] = address_block_filter
    env.filters.update(FORM_FILTERS)
    env.filters.update(MERGE_FILTERS)
    env.filters.update(guarded_filters(env.filters))
    env.tests.update(strict_tests(env.tests))
    return env


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Split ``text`` into its YAML front matter, its body and the body's first line number."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    meta = load_yaml_value(match.group(1) or "", path, TemplateError, first_line=2)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise TemplateError("front matter must be a mapping (key: value lines)", path=path, line=2)
    return meta, text[match.end() :], text.count("\n", 0, match.end()) + 1


class LetterTemplate:
    """A parsed letter template: its front matter (``letter``) and its compiled body."""

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.source = read_text(path, TemplateError, encoding)
        self.meta, self.body, self.first_line = split_front_matter(self.source, path)
        self.env = make_environment(path.parent)
        self.template = self._compile(self.env)

    def _compile(self, env: jinja2.Environment) -> jinja2.Template:
        try:
            code = env.compile(self.body, name=self.path.name, filename=str(self.path))
            # Globals as a plain dict, not Jinja's ChainMap: each render copies them into its
            # context, and flattening a ChainMap per letter cost a tenth of a text letter.
            return env.template_class.from_code(env, code, dict(env.make_globals(None)))
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error(exc) from None

    def _syntax_error(self, exc: jinja2.TemplateSyntaxError) -> TemplateError:
        if exc.filename and Path(exc.filename) != self.path:
            return TemplateError(
                f"template syntax error: {exc.message}", path=exc.filename, line=exc.lineno
            )
        return TemplateError(
            f"template syntax error: {exc.message}", path=self.path, line=self.line(exc.lineno)
        )

    def line(self, body_line: int) -> int:
        """Return the file line of line ``body_line`` of the template body."""
        return body_line + self.first_line - 1

    @cached_property
    def _marked(self) -> jinja2.Template:
        return self._compile(make_environment(self.path.parent, marked=True))

    def render(self, context: Mapping[str, Any], *, marked: bool = False) -> str:
        """Render one letter; the text ends with exactly one newline.

        With ``marked``, every printed value is wrapped in ``MARK_START``/``MARK_END``.
        Raises :class:`MissingFieldError`, :class:`SecurityError` or a Jinja error, which
        :meth:`explain` turns into a :class:`TemplateError` with the template line.
        """
        template = self._marked if marked else self.template
        return finish_text(template.render(context))

    def compile_pattern(self, pattern: str) -> jinja2.Template:
        """Compile a short pattern (file names) in this template's environment."""
        try:
            return self.env.from_string(pattern)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"invalid name pattern {pattern!r}: {exc.message}") from None

    def fields(self) -> set[str]:
        """Return the dotted fields (``recipient.name``, ``sender.role``) the template uses."""
        try:
            tree = self.env.parse(self.body)
        except jinja2.TemplateSyntaxError as exc:
            raise self._syntax_error(exc) from None
        bare = bare_fields(tree, self.env.globals) if bare_names(self.meta, self.path) else set()
        return used_fields(tree) | bare

    def explain(self, exc: BaseException, where: str | None = None) -> TemplateError:
        """Turn an exception raised while rendering into a TemplateError naming the line."""
        path, line = self._template_line(exc.__traceback__)
        suffix = f" (used at {path}:{line})" if line else ""
        if isinstance(exc, MissingFieldError):
            return TemplateError(f"{exc}{suffix}")
        if isinstance(exc, SecurityError):
            return TemplateError(f"refused by the template sandbox: {exc}", path=path, line=line)
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return self._syntax_error(exc)
        if isinstance(exc, LimitError | PrintedContainerError):
            return TemplateError(exc.message or "", path=path, line=line)
        if isinstance(exc, RecursionError):
            return TemplateError(
                "template limit: templates include or call each other too deeply (a template "
                "that includes itself?); make sure every include and macro call ends",
                path=path,
                line=line,
            )
        if isinstance(exc, jinja2.TemplateNotFound):
            return TemplateError(f"included template not found: {exc.name}", path=path, line=line)
        message = str(exc) or type(exc).__name__
        return TemplateError(f"template error: {message}", path=path, line=line)

    def _template_line(self, tb: TracebackType | None) -> tuple[Path, int | None]:
        """Find the innermost template frame in ``tb``; return its file and file line."""
        found: tuple[Path, int | None] = (self.path, None)
        folder = str(self.path.parent)
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename == str(self.path):
                found = (self.path, self.line(tb.tb_lineno))
            elif filename.startswith(folder) and not filename.endswith(".py"):
                found = (Path(filename), tb.tb_lineno)
            tb = tb.tb_next
        return found


def finish_text(text: str) -> str:
    """Return ``text`` without trailing blank lines or spaces, ending in one newline."""
    return text.rstrip() + "\n"


def used_fields(tree: nodes.Template) -> set[str]:
    """Return the dotted context paths (``recipient.address.city``) used in a template tree."""
    found: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        path = dotted_path(node)
        if path:
            found.add(path)
    # Drop prefixes: "recipient.address" when "recipient.address.city" is also used.
    return {p for p in found if not any(q.startswith(p + ".") for q in found)}


def context_for(
    record: Mapping[str, Any],
    sender: Mapping[str, Any],
    letter: Mapping[str, Any],
    date: dt.date,
    *,
    bare: bool = False,
) -> dict[str, Any]:
    """Return the template context of one letter.

    ``sender`` and ``letter`` may be given as :class:`Fields` already: the same for every
    letter of a run, they are then wrapped (nested offices and all) once, not per letter.
    With ``bare`` (``names: bare``) the record's fields are at the top too (see names.shadowed).
    """
    fields = Fields(record, "recipient")
    return {key: fields[key] for key in (record if bare else ())} | {
        "recipient": fields,
        "sender": sender if type(sender) is Fields else Fields(sender, "sender"),
        "letter": letter if type(letter) is Fields else Fields(letter, "letter"),
        "date": date,
    }


def strip_marks(text: str) -> str:
    """Remove preview markers from ``text``."""
    return text.replace(MARK_START, "").replace(MARK_END, "")
