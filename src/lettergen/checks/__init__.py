"""Proofreading: letters in, findings out. Never prints.

Other code imports these names from ``lettergen.checks``, not from its modules, so the
modules inside can change without touching their users.
"""

from lettergen.checks.checker import Checker, check_files
from lettergen.checks.fields import field_table
from lettergen.checks.findings import ChecksFailed, Finding, Report
from lettergen.checks.parts import CheckedPart

__all__ = [
    "CheckedPart",
    "Checker",
    "ChecksFailed",
    "Finding",
    "Report",
    "check_files",
    "field_table",
]
