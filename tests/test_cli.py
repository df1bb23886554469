"""The command line (bench.cli): help stays light, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.cli import build_parser, main
from bench.specs import FAIL_ON, METRICS, NAMED, TESTS


def test_help_imports_no_heavy_library():
    code = (
        "import sys; from bench.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'pandas', 'sklearn', 'datasets', 'scipy', 'matplotlib')"
        " if m in sys.modules]\nprint(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_choices_come_from_the_registries():
    parser = build_parser()
    sub = {a.dest: a for a in parser._subparsers._group_actions}  # type: ignore[union-attr]
    commands = sub["command"].choices
    compare = {a.dest: a for a in commands["compare"]._actions}
    assert tuple(compare["metrics"].choices) == NAMED
    assert tuple(compare["test"].choices) == TESTS
    assert tuple(compare["fail_on"].choices) == FAIL_ON
    board = {a.dest: a for a in commands["leaderboard"]._actions}
    assert tuple(board["sort"].choices) == tuple(METRICS)


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["run", "--n-jobs", "0"], ["compare", "a"], ["check", "--alpha", "1.5"]],
)
def test_usage_errors_are_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("stance-bench: error:") and "\n" not in err and "--help" in err


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: stance-bench" in capsys.readouterr().out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("stance-bench ")
