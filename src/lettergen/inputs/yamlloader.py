"""The one YAML loader lettergen reads with: safe types only, and bounded however the file reads.

YAML's aliases (``&name`` ... ``*name``) let a file of a few lines stand for billions of values
(the "billion laughs" file: nine aliases of nine aliases of nine ...), and lists within lists
nest as deep as the file likes. Every YAML file lettergen loads (recipients, ``lettergen.yaml``,
signatory profiles, front matter, Word templates' values) is composed by :class:`BoundedLoader`,
which counts as it composes, before anything is expanded: the aliases of one unit (a record of a
recipient list, or a whole file), the values and characters they repeat, and how deep values
nest (counted from a record, or from the top of a file that is not a list of records). Going
past a limit is a :class:`YamlLimitError` at the line where it happens.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from lettergen.inputs.nesting import MAX_DEPTH, TOO_DEEP

# Aliases one unit (a record, or a file) may use; real lists use a handful (`<<: *defaults`).
MAX_ALIASES = 1_000
# Values and characters the aliases of one unit may repeat, all told.
MAX_ALIAS_EXPANSION = 100_000


class YamlLimitError(ComposerError):
    """A YAML file goes past one of the loader's limits (its ``problem`` says which)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


class BoundedComposer(Composer):
    """PyYAML's composer, counting aliases, what they repeat and how deep values nest.

    What an alias repeats is the expanded size of the node it names (``1`` plus its characters
    for a scalar, ``1`` plus its children's sizes for a list or mapping), worked out the first
    time the node is named and kept on it: counting is linear in the file's own nodes however
    much the aliases stand for, and a file without aliases costs no counting at all.
    """

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        # The anchors of the nodes being composed: an alias to one is a value inside itself.
        self.open_anchors: set[str] = set()
        self.unit = "file"
        self.start_unit("file")

    def start_unit(self, unit: str) -> None:
        """Count the aliases of ``unit`` ("record", "file") afresh, from the next node on."""
        self.unit = unit
        self.aliases = 0
        self.expansion = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]  # the parser's
            event = self.peek_event()  # type: ignore[attr-defined]
            if event.anchor in self.anchors:
                self._count_alias(event)
        return super().compose_node(parent, index)

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._nested(super().compose_mapping_node, anchor)

    def _nested(self, compose: Any, anchor: str | None) -> Any:
        """Compose a list or mapping one level deeper, minding the nesting limit."""
        if self.depth >= MAX_DEPTH:
            raise YamlLimitError(TOO_DEEP, self.peek_event().start_mark)  # type: ignore[attr-defined]
        self.depth += 1
        if anchor is not None:
            self.open_anchors.add(anchor)
        try:
            return compose(anchor)
        finally:
            self.depth -= 1
            self.open_anchors.discard(anchor)

    def _count_alias(self, event: Any) -> None:
        if event.anchor in self.open_anchors:
            raise YamlLimitError(
                f"alias *{event.anchor} stands for the value it is part of; "
                "a value cannot contain itself",
                event.start_mark,
            )
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlLimitError(
                f"more than {MAX_ALIASES:,} aliases (*name) in one {self.unit}; "
                "write the values out instead",
                event.start_mark,
            )
        self.expansion += _expanded(self.anchors[event.anchor])
        if self.expansion > MAX_ALIAS_EXPANSION:
            raise YamlLimitError(
                f"aliases (*name) repeat more than {MAX_ALIAS_EXPANSION:,} values and "
                f"characters in one {self.unit}; write the values out, or use fewer aliases",
                event.start_mark,
            )


def _expanded(node: Any) -> int:
    """Return the expanded size of a composed node, working out (and keeping) its children's
    first; no deeper than the nesting limit, so the recursion is bounded."""
    size: int | None = getattr(node, "expanded", None)
    if size is None:
        if isinstance(node, yaml.ScalarNode):
            size = 1 + len(node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(_expanded(child) for child in node.value)
        else:
            size = 1 + sum(_expanded(key) + _expanded(value) for key, value in node.value)
        node.expanded = size
    return size


def _loader_class() -> Any:
    """Return the bounded safe loader: libyaml's parser when PyYAML has it, else PyYAML's own.

    The composer comes first among the bases, so that its methods (not libyaml's own composer,
    which counts nothing) build every node.
    """
    if getattr(yaml, "__with_libyaml__", False):
        from yaml import cyaml  # importable only when PyYAML was built with libyaml

        parser: Any = cyaml.CParser  # type: ignore[attr-defined]

        class CBoundedLoader(BoundedComposer, parser, SafeConstructor, Resolver):  # type: ignore[misc]
            """libyaml's parser, the bounded composer, safe types."""

            def __init__(self, stream: Any) -> None:
                parser.__init__(self, stream)
                BoundedComposer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)

        return CBoundedLoader

    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class PyBoundedLoader(Reader, Scanner, Parser, BoundedComposer, SafeConstructor, Resolver):
        """PyYAML's own parser, the bounded composer, safe types."""

        def __init__(self, stream: Any) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            BoundedComposer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return PyBoundedLoader


BoundedLoader: Any = _loader_class()
