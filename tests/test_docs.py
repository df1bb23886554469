"""The README and docs/ say only what the repository holds: every path they name exists,
every link and anchor resolves, every command and option they show is one the CLI or the
perf script has, and the registered models' parameters are the ones docs/configs.md lists."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from bench import scaffold
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# folders whose files a page may name; data/derived/ and runs/ are written by commands
ROOTS = ("bench/", "perf/", "tests/", "configs/", "seeds/", "requirements/", "results/", "docs/")
ROOTS += (".ci/", ".github/")
# files the pages tell a reader to create
EXAMPLES = {"configs/ridge.toml", "configs/my_models.py", "configs/x.toml"}
EXAMPLES |= {"configs/examples/preds.jsonl"}  # docs/evaluate-any-system.md: your system writes it
# the files `stance-bench init` writes in a new project (docs/projects.md)
EXAMPLES |= set(scaffold.plan(REPO / "new-project").files)


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(m) for m in re.findall(r"^#+ (.+)$", _text(page), flags=re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_named_path_exists(page):
    missing = []
    for span in _code_spans(_text(page)):
        for word in span.split():
            word = word.strip("(),;:")
            if not word.startswith(ROOTS) or word in EXAMPLES or re.search(r"[<>…]|NAME", word):
                continue
            found = list(REPO.glob(word)) if "*" in word else [REPO / word]
            if not any(p.exists() for p in found):
                missing.append(word)
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_and_anchor_resolves(page):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", _text(page)):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        exists = dest.exists()
        if not exists or (dest.suffix == ".md" and anchor and anchor not in _anchors(dest)):
            broken.append(target)
    assert not broken, f"{page.name} has broken links: {broken}"


def _subcommands() -> dict[str, set[str]]:
    import argparse

    from bench.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {s for action in p._actions for s in action.option_strings}
        for name, p in sub.choices.items()
    }


def _code(text: str) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    blocks = re.findall(r"^(`{3,})[^\n]*\n(.*?)^\1$", text, flags=re.M | re.S)
    return _code_spans(text) + [line for _, body in blocks for line in body.splitlines()]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_and_option_shown_exists(page):
    commands = _subcommands()
    wrong = []
    for line in _code(_text(page)):
        for m in re.finditer(r"stance-bench ([a-z][\w-]*)((?: +[^ `|]+)*)", line):
            cmd, rest = m.group(1), m.group(2)
            if cmd not in commands:
                wrong.append(f"stance-bench {cmd}")
                continue
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
                if opt not in commands[cmd]:
                    wrong.append(f"stance-bench {cmd} {opt}")
        for m in re.finditer(r"python (perf/\w+\.py)((?: +[^ `|]+)*)", line):
            script = REPO / m.group(1)
            if not script.is_file():
                wrong.append(m.group(1))
                continue
            source = script.read_text(encoding="utf-8")
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", m.group(2)):
                if f'"{opt}"' not in source:
                    wrong.append(f"{m.group(1)} {opt}")
    assert not wrong, f"{page.name} shows commands or options that do not exist: {wrong}"


def test_configs_page_lists_every_registered_model_and_parameter():
    from bench.models import REGISTRY
    from bench.models.features import FEATURES
    from bench.models.registry import PER_TARGET

    page = _text(REPO / "docs" / "configs.md")
    section = page.split("## `[model]`")[1].split("\n## ")[0]
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", section, flags=re.M)
    }
    assert set(rows) == set(REGISTRY) - {"inner_cv"}
    for name, row in rows.items():
        params = REGISTRY[name].parameters()
        own = [p for p in params if p not in FEATURES and p != PER_TARGET]
        for p in own:
            default = params[p]
            assert f"`{p}`" in row, (name, p)
            if default is not inspect.Parameter.empty and default not in ("", None):
                shown = str(default).lower() if isinstance(default, bool) else str(default)
                assert shown in row, (name, p, default)
        listed = set(re.findall(r"`(\w+)` \(", row))
        assert listed <= set(params), (name, listed - set(params))
        assert ("feature keys" in row) == all(f in params for f in FEATURES), name
    for key, default in FEATURES.items():
        assert f"`{key}`" in section, key
        shown = str(list(default)) if isinstance(default, tuple) else str(default).lower()
        assert f"`{key}` ({shown}" in section, (key, shown)
