"""Reading the user's text files: decoding with helpful errors, and safe YAML with line numbers."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml

from lettergen.errors import LettergenError
from lettergen.inputs.nesting import TOO_DEEP
from lettergen.inputs.yamlloader import BoundedLoader, YamlLimitError

# libyaml's own nesting limit (1,000 levels), which it may meet while reading ahead of the
# loader's (see lettergen.inputs.nesting): the same mistake, said the same way.
LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


def read_bytes(path: Path, error: type[LettergenError]) -> bytes:
    """Return the bytes of ``path``, turning a missing or unreadable file into ``error``."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except IsADirectoryError:
        raise error("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=path) from None


def decode(data: bytes, path: Path, encoding: str | None, error: type[LettergenError]) -> str:
    """Decode ``data`` (UTF-8, with or without BOM, unless ``encoding`` says otherwise).

    An undecodable byte gives ``error`` naming its line and value and suggesting ``--encoding``.
    """
    name = encoding or "utf-8-sig"
    try:
        codecs.lookup(name)
    except LookupError:
        raise error(f"unknown encoding '{encoding}'", path=path) from None
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise error(undecodable(byte, encoding), path=path, line=line) from None


def undecodable(byte: str, encoding: str | None) -> str:
    """Say that ``byte`` (hex) is not text in ``encoding`` (UTF-8 if None), and what to try.

    Without ``--encoding`` the file was read as UTF-8; Excel saves Windows-1252 in Western
    Europe, the usual reason a list does not decode.
    """
    if encoding:
        return f"cannot decode byte 0x{byte} as {encoding}; check the file's encoding (--encoding)"
    return f"cannot decode byte 0x{byte} as UTF-8; if it was saved by Excel, try --encoding cp1252"


def read_text(path: Path, error: type[LettergenError], encoding: str | None = None) -> str:
    """Return the text of ``path`` with universal newlines, or raise ``error``."""
    text = decode(read_bytes(path, error), path, encoding, error)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml(
    text: str, path: Path, error: type[LettergenError], first_line: int = 1
) -> yaml.Node | None:
    """Parse ``text`` as one safe YAML document and return its node tree (or None if empty).

    Nodes keep their line numbers, so records and fields can be reported where they stand.
    ``first_line`` is the file line on which ``text`` starts (for front matter). The loader is
    bounded (aliases, nesting; see :mod:`lettergen.inputs.yamlloader`).
    """
    loader = BoundedLoader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.YAMLError as exc:
        raise yaml_error(exc, path, error, first_line) from None
    finally:
        loader.dispose()


def construct(node: yaml.Node, path: Path, error: type[LettergenError], first_line: int = 1) -> Any:
    """Build the Python value of a YAML ``node`` (safe types only)."""
    loader = BoundedLoader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, path, error, first_line) from None
    finally:
        loader.dispose()


def load_yaml_value(text: str, path: Path, error: type[LettergenError], first_line: int = 1) -> Any:
    """Parse ``text`` as safe YAML and return its value (None for an empty document)."""
    node = load_yaml(text, path, error, first_line)
    return None if node is None else construct(node, path, error, first_line)


def yaml_error(
    exc: yaml.YAMLError, path: Path, error: type[LettergenError], first_line: int = 1
) -> LettergenError:
    """Return ``error`` for a YAML syntax error, at the line it names when it names one."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        if isinstance(exc, YamlLimitError):
            return error(str(exc.problem), path=path, line=line)
        if exc.problem == LIBYAML_TOO_DEEP:  # libyaml reading ahead met its own limit first
            return error(TOO_DEEP, path=path, line=line)
        problem = exc.problem or "invalid YAML"
        return error(f"invalid YAML: {problem}", path=path, line=line)
    return error(f"invalid YAML: {exc}", path=path)


def node_line(node: yaml.Node, first_line: int = 1) -> int:
    """Return the 1-based file line on which ``node`` starts."""
    return int(node.start_mark.line) + first_line
