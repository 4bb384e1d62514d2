"""Template files compiled: front matter, the sandboxed Jinja2 environment, Word templates,
language variants."""
