"""Proofreading: letters in, findings out. Never prints, never changes a letter.

Other code imports these names from ``lettergen.checks``, not from its modules, so the
modules inside can change without touching their users.
"""

from lettergen.checks.checker import CheckedPart, Checker, check_files, field_table
from lettergen.checks.findings import ChecksFailed, Finding, Report

__all__ = [
    "CheckedPart",
    "Checker",
    "ChecksFailed",
    "Finding",
    "Report",
    "check_files",
    "field_table",
]
