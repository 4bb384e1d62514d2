"""A set of 64-bit hashes in an open-addressing table: 8 bytes a slot, not a string.

What a run must remember of every record (its id, its file name, for the checks its name and
organisation) is kept this way, so that memory stays flat in the number of recipients: 100,000
ids take 2 MB here, against 15 MB more as a dict of strings. A hash seen again is almost always
the same key; code that must name the first record holding it reads the records again.
"""

from __future__ import annotations

from array import array


class HashSet:
    """The 64-bit hashes added so far."""

    def __init__(self) -> None:
        self.table = array("q", bytes(8 * 1024))
        self.count = 0

    def __contains__(self, value: int) -> bool:
        table = self.table
        mask = len(table) - 1
        value = value or 1  # 0 marks an empty slot
        slot = value & mask
        while True:
            current = table[slot]
            if current == value:
                return True
            if current == 0:
                return False
            slot = (slot + 1) & mask

    def add(self, value: int) -> bool:
        """Add the hash ``value``; return True if it was there before."""
        value = value or 1
        # The probe, written out here and in __contains__: a run adds several hashes per
        # record, and a call fewer is a good part of the cost of each.
        table = self.table
        mask = len(table) - 1
        slot = value & mask
        while True:
            current = table[slot]
            if current == value:
                return True
            if current == 0:
                table[slot] = value
                break
            slot = (slot + 1) & mask
        self.count += 1
        if self.count * 4 > len(table) * 3:
            # Twice the slots, and every hash added again (the count comes back as it was).
            self.table = array("q", bytes(16 * len(table)))
            self.count = 0
            for old in table:
                if old:
                    HashSet.add(self, old)  # not a subclass's add: only the table grows
        return False

    def add_key(self, key: str) -> bool:
        """Add the hash of ``key``; return True if a key with that hash was added before."""
        return self.add(hash(key))
