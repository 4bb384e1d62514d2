"""How deep a recipient's values may nest, for every kind of file that can nest them.

Lists within lists within lists are no one's address; past a few hundred levels they exhaust
Python's stack (a JSON file of 200,000 ``[`` did), and every later walk over a record's values
(the checks, the manifest's hash) would have to be written to survive them. YAML and JSON
files are held to one depth, with one message.
"""

from __future__ import annotations

from typing import Any

# How deep lists and mappings may nest: a record counts as one level (or, in a file that is not
# a list of records, the file's top level).
MAX_DEPTH = 100

TOO_DEEP = (
    f"values nested more than {MAX_DEPTH} levels deep (lists or mappings within each other); "
    "flatten the data"
)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Return whether lists and mappings nest in ``value`` more than ``limit`` levels deep.

    The walk keeps its own stack, so no depth makes it fail.
    """
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
