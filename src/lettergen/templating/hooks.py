"""The compiled-code side of the template limits: loops, ``~`` and printed values call back.

Jinja2 compiles a template to Python. Three things in that code have no sandbox hook of their
own, so the code generator here adds a call to the environment around each:

- the iterable of every ``for`` loop: ``environment.loop_guard(ITERABLE)``, which counts the
  iterations (nested loops multiply);
- every ``a ~ b``: ``environment.str_join((a, b))``, which measures the text before making it;
- every printed value that is not a text: ``printed(VALUE, context, 'recipient.city')``, which
  refuses a list or mapping printed as text (naming the field); inside a macro or block,
  whose output is kept until the macro returns, every value goes to ``printed_kept``, which
  also counts the characters.

The template class gives each rendering a fresh :class:`~lettergen.templating.limits.Budget`.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

from lettergen.templating.limits import Budget, current


def dotted_path(node: nodes.Node) -> str | None:
    """Return ``recipient.address.city`` for a Jinja attribute chain, or None."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            parts.append(str(node.arg.value))
            node = node.node
        elif isinstance(node, nodes.Name) and node.name in ("recipient", "sender", "letter"):
            parts.append(node.name)
            return ".".join(reversed(parts))
        else:
            return None


class LimitedCodeGenerator(CodeGenerator):
    """Jinja2's code generator, calling the environment's limit hooks (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: set[int] = set()

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) in self._loop_iterables:
            self.write("environment.loop_guard(")
            result = super().visit(node, *args, **kwargs)
            self.write(")")
            return result
        return super().visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables.add(id(node.iter))
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            # Markup joins (autoescaping is off in lettergen): measured once made.
            self.write("environment.measured(")
            super().visit_Concat(node, frame)
            self.write(")")
            return
        self.write("environment.str_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def write_commons(self) -> None:
        super().write_commons()
        # Local names: looked up once per rendering, not once per printed value.
        self.writeline("printed = environment.printed")
        self.writeline("printed_kept = environment.printed_kept")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_pre(node, frame, finalize)
        if frame.buffer is None:
            # A letter's own output is measured as it is joined (see the environment's
            # concat). A text, nearly every value, passes without a call.
            self.write("(printed_value if type(printed_value := ")
        else:
            # Output kept in a buffer (a macro's, a block's) is counted as it is printed.
            self.write("printed_kept(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        name = repr(dotted_path(node))
        if frame.buffer is None:
            self.write(f") is str else printed(printed_value, context, {name}))")
        else:
            self.write(f", context, {name})")
        super()._output_child_post(node, frame, finalize)


class LimitedTemplate(jinja2.Template):
    """A compiled template whose every rendering has its own budget."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        token = current.set(Budget())
        try:
            return super().render(*args, **kwargs)
        finally:
            current.reset(token)
