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

    The walk goes one level at a time with lists of its own, so no depth makes it fail.
    """
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, dict | list):
                    inner.append(child)
        level = inner
    return False
