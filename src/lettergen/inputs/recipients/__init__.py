"""Recipient lists (YAML, JSON, CSV, TSV, XLSX) read into records that remember where they stand.

The modules, from the bottom up: ``record`` (a record, a cell's text, record ids), ``columns``
(which field a column fills), ``encoding`` (how a file is decoded), one module per file kind
(``csv``, ``yaml``, ``json``, ``workbook`` and ``xlsx``), and ``reader``, which picks the module
by the file's kind and gives every record a unique id.
"""

from lettergen.inputs.recipients.columns import mapping_hint
from lettergen.inputs.recipients.reader import is_data_file, read_file, read_recipients
from lettergen.inputs.recipients.record import CellText, Record

__all__ = ["CellText", "Record", "is_data_file", "mapping_hint", "read_file", "read_recipients"]
