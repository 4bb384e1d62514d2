"""Recipient lists (YAML, JSON, CSV, TSV, XLSX) read into records that remember where they stand."""
