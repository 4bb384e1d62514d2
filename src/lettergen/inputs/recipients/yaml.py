"""YAML recipient lists, parsed one record at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from lettergen.errors import RecipientsError
from lettergen.inputs.recipients.encoding import (
    decode_error,
    text_stream,
)
from lettergen.inputs.textfiles import node_line, yaml_error
from lettergen.inputs.yamlloader import BoundedLoader


def yaml_rows(path: Path, encoding: str | None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for each record of a YAML list (or ``recipients:`` list).

    The file is parsed as it is read (by libyaml when PyYAML has it) and each record is built
    and handed on before the next is parsed, so a long list never sits in memory at once. Each
    record's aliases are counted on their own (see :mod:`lettergen.inputs.yamlloader`).
    """
    with text_stream(path, encoding) as stream:
        loader = BoundedLoader(stream)
        try:
            yield from _yaml_records(loader, path)
        except yaml.YAMLError as exc:
            raise yaml_error(exc, path, RecipientsError) from None
        except UnicodeDecodeError:
            raise decode_error(path, stream.encoding, encoding) from None
        finally:
            loader.dispose()


def _yaml_records(loader: Any, path: Path) -> Iterator[tuple[int, Any]]:
    """Walk the events of a document; compose and construct one record at a time."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return
    loader.get_event()  # document start
    if loader.check_event(yaml.SequenceStartEvent):
        yield from _yaml_items(loader, path)
    elif loader.check_event(yaml.MappingStartEvent):
        start = loader.get_event()
        found = False
        while not loader.check_event(yaml.MappingEndEvent):
            key = loader.compose_node(None, None)
            if not found and isinstance(key, yaml.ScalarNode) and key.value == "recipients":
                if not loader.check_event(yaml.SequenceStartEvent):
                    line = loader.peek_event().start_mark.line + 1
                    raise RecipientsError("expected a list of recipients", path=path, line=line)
                found = True
                yield from _yaml_items(loader, path)
            else:
                loader.compose_node(None, None)  # another key of the file: not a record
        loader.get_event()
        if not found:
            raise RecipientsError(
                "expected a list of recipients, or a mapping with a 'recipients:' list",
                path=path,
                line=start.start_mark.line + 1,
            )
    else:
        line = loader.peek_event().start_mark.line + 1
        raise RecipientsError("expected a list of recipients", path=path, line=line)
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        line = loader.peek_event().start_mark.line + 1
        raise RecipientsError(
            "expected one YAML document, but found another ('---')", path=path, line=line
        )


def _yaml_items(loader: Any, path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, value)`` for the items of the sequence whose start event is next."""
    loader.get_event()
    while not loader.check_event(yaml.SequenceEndEvent):
        loader.start_unit("record")
        node = loader.compose_node(None, None)
        # Parse on to the next event first: a syntax error just after a record (a line
        # indented wrongly) may have cut it short, and a half-read record is no record.
        loader.check_event()
        yield node_line(node), loader.construct_document(node)
    loader.get_event()
