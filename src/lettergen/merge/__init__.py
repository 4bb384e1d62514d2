"""Merging: records, a compiled template and a signatory profile become letters."""
