"""`lettergen --help` stays fast: python-docx, openpyxl, Babel and lxml load only when used."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

HEAVY = ("docx", "openpyxl", "babel", "lxml")

PROBE = textwrap.dedent(
    """
    import json, sys
    {body}
    heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({heavy!r}))
    print(json.dumps(heavy))
    """
)


def heavy_modules_after(body: str) -> list[str]:
    code = PROBE.format(body=textwrap.dedent(body), heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_cli_imports_nothing_heavy() -> None:
    assert heavy_modules_after("import lettergen.cli") == []


@pytest.mark.parametrize("args", [["--help"], ["render", "--help"], ["init", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    body = f"""
    from lettergen.cli import cli
    try:
        cli.main({args!r}, prog_name="lettergen")
    except SystemExit:
        pass
    """
    assert heavy_modules_after(body) == []


def test_the_probe_sees_heavy_imports() -> None:
    # The probe itself must be able to fail: formatting a date loads Babel.
    body = """
    import datetime
    import lettergen.cli
    from lettergen.templating.valuefilters import format_date_filter
    from babel.dates import format_date
    format_date(datetime.date(2015, 5, 25), locale="fr")
    """
    assert heavy_modules_after(body) == ["babel"]
