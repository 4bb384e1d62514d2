"""Word templates: a ``.docx`` written in Word with Jinja2 tags in its text."""
