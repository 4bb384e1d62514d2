"""Forked processes for ``--jobs``: the worker pool and the first pass spread over it."""
