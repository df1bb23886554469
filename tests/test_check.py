"""The reproducibility gate (bench.check), its --base mode, and the leaderboard command."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.cli import main
from tests.conftest import REPO, write_base_config


def _configs(tmp_path, derived_dir, worse: bool = False):
    """Two fast configs; with ``worse``, ``changing`` (the one that will change) gets a
    model that ignores the text, a change big enough to be significant on 25 items."""
    folder = tmp_path / "configs"
    folder.mkdir(exist_ok=True)
    write_base_config(folder / "_base.toml", derived_dir, seed=11)
    model = 'name = "majority"' if worse else 'name = "cue_lexicon"'
    (folder / "changing.toml").write_text(f'extends = "_base.toml"\n[model]\n{model}\n')
    (folder / "majority.toml").write_text('extends = "_base.toml"\n[model]\nname = "majority"\n')
    return folder


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_check_update_pass_then_worsened_model_fails_then_update_passes(
    tmp_path, derived_dir, capsys, monkeypatch
):
    configs = _configs(tmp_path, derived_dir)
    ref = tmp_path / "reference"
    args = ["check", str(configs), "--reference", str(ref), "-q", "--n-boot", "500"]
    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    assert sorted(p.name for p in ref.iterdir()) == [
        "changing",
        "environment.json",
        "leaderboard.md",
        "majority",
    ]
    assert sorted(p.name for p in (ref / "majority").iterdir()) == [
        "config.toml",
        "metrics.json",
        "predictions.jsonl",
    ]
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    capsys.readouterr()
    assert main(args) == 0
    assert "reproduced exactly: 2 of 2" in capsys.readouterr().out
    assert "✅" in summary.read_text() and "check passed" in summary.read_text()

    _configs(tmp_path, derived_dir, worse=True)  # deliberately worse
    summary.unlink()
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "NOT reproduced: changing" in out and "▼ worse" in out
    assert "check FAILED" in out
    assert "❌" in summary.read_text() and "check FAILED" in summary.read_text()

    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    capsys.readouterr()
    assert main(args) == 0


def test_updating_a_subset_merges_into_the_reference(tmp_path, derived_dir, capsys):
    configs = _configs(tmp_path, derived_dir)
    ref = tmp_path / "reference"
    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    before = _snapshot(ref / "changing")
    assert (
        main(["check", str(configs / "majority.toml"), "--reference", str(ref), "-q", "--update"])
        == 0
    )
    assert (ref / "majority").is_dir() and _snapshot(ref / "changing") == before
    capsys.readouterr()
    assert main(["check", str(configs / "majority.toml"), "--reference", str(ref), "-q"]) == 0
    out = capsys.readouterr().out
    assert "REMOVED" not in out  # changing's config still exists: not checked, not gone
    (configs / "changing.toml").unlink()
    assert main(["check", str(configs), "--reference", str(ref), "-q"]) == 0
    assert "REMOVED: changing" in capsys.readouterr().out


def test_check_without_reference_entry_fails_and_missing_folder_is_usage(
    tmp_path, derived_dir, capsys
):
    configs = _configs(tmp_path, derived_dir)
    ref = tmp_path / "reference"
    ref.mkdir()
    assert main(["check", str(configs / "majority.toml"), "--reference", str(ref), "-q"]) == 1
    assert "NEW: majority" in capsys.readouterr().out
    assert main(["check", str(configs), "--reference", str(tmp_path / "none"), "-q"]) == 2
    assert "no reference folder" in capsys.readouterr().err


def test_environment_difference_is_named(tmp_path, derived_dir, capsys):
    configs = _configs(tmp_path, derived_dir)
    ref = tmp_path / "reference"
    assert (
        main(["check", str(configs / "majority.toml"), "--reference", str(ref), "-q", "--update"])
        == 0
    )
    env = json.loads((ref / "environment.json").read_text())
    env["scikit-learn"] = "0.0.1"
    (ref / "environment.json").write_text(json.dumps(env))
    capsys.readouterr()
    assert main(["check", str(configs / "majority.toml"), "--reference", str(ref), "-q"]) == 0
    out = capsys.readouterr().out
    assert "scikit-learn" in out and "0.0.1 in the reference" in out


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_check_base_catches_a_regression_hidden_by_an_updated_reference(
    tmp_path, derived_dir, capsys, monkeypatch
):
    repo = tmp_path / "repo"
    repo.mkdir()
    _configs(repo, derived_dir)
    ref = repo / "results" / "reference"
    monkeypatch.chdir(repo)
    assert main(["check", "configs", "-q", "--update"]) == 0
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    # the change: a worse model, with its own reference updated so that `check` alone passes
    _configs(repo, derived_dir, worse=True)
    assert main(["check", "configs", "-q", "--update"]) == 0
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "worse, reference updated")
    capsys.readouterr()
    assert main(["check", "configs", "-q", "--n-boot", "500"]) == 0  # fooled without --base
    capsys.readouterr()
    assert main(["check", "configs", "-q", "--n-boot", "500", "--base", "HEAD~1"]) == 1
    out = capsys.readouterr().out
    assert "against base HEAD~1: unchanged: " in out and "▼ worse" in out
    # against the base a change is what a pull request is for: "changed", not "NOT reproduced"
    assert "  changed: changing (" in out and "NOT reproduced" not in out
    # an unchanged tree passes against its own base
    assert main(["check", "configs", "-q", "--n-boot", "500", "--base", "HEAD"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == (
        "check passed: every result reproduced the reference exactly, "
        "and no regression against base HEAD"
    )
    # a revision that does not exist, or has no reference, is a usage error
    capsys.readouterr()
    assert main(["check", "configs", "-q", "--base", "no-such-rev"]) == 2
    assert "no such git revision" in capsys.readouterr().err
    shutil.rmtree(ref)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "no reference")
    assert main(["check", "configs", "-q", "--update"]) == 0
    assert main(["check", "configs", "-q", "--base", "HEAD"]) == 2
    assert "no results/reference" in capsys.readouterr().err


def test_shipped_reference_matches_configs():
    ref = REPO / "results" / "reference"
    configs = sorted(
        p.stem for p in (REPO / "configs").glob("*.toml") if not p.name.startswith("_")
    )
    assert sorted(p.name for p in ref.iterdir() if p.is_dir()) == configs


def _block(readme: str) -> str:
    from bench.check import README_BLOCK

    opening, closing = README_BLOCK
    assert readme.count(opening) == 1 and readme.count(closing) == 1
    return readme.split(opening)[1].split(closing)[0]


def _sample(reference: Path) -> str:
    """The README's sample board of a reference: its runs' leaderboard, compact."""
    from bench.boards import boards
    from bench.report.leaderboard import render_markdown
    from bench.runs import load_run

    runs = [load_run(p) for p in sorted(reference.iterdir()) if p.is_dir()]
    return render_markdown(boards(runs, alpha=0.05), compact=True)


def test_readme_block_is_the_reference_leaderboard():
    ref = REPO / "results" / "reference"
    board = (ref / "leaderboard.md").read_text(encoding="utf-8")
    sample = _sample(ref)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert board.startswith("### Task ") and "\n| task |" in board and board.count("\n") > 2
    # the same rows in one table, what the tables share said once, their headings in a line
    rows = [x for x in board.splitlines() if x.startswith("| ")]
    header = rows[:2]
    assert [x for x in sample.splitlines() if x.startswith("| ")] == header + [
        x for x in rows if x not in header
    ]
    headings = [x.removeprefix("### ") for x in board.splitlines() if x.startswith("### ")]
    assert len(headings) == 3 and sample.startswith("; ".join(headings) + ".")
    assert sample.count("Rank score: ") == 1 < board.count("Rank score: ")
    assert _block(readme) == f"\n\n{sample}\n"


def test_check_update_refreshes_the_readme_block_and_nothing_else(tmp_path, derived_dir, capsys):
    from bench.check import README_BLOCK

    opening, closing = README_BLOCK
    project = tmp_path / "project"
    project.mkdir()
    configs = _configs(project, derived_dir)
    ref = project / "results" / "reference"
    readme = project / "README.md"
    head, tail = "# A project\n\nIts board:\n\n", "\n\n## After the board\n"
    readme.write_text(f"{head}{opening}\n| stale | table |\n{closing}{tail}", encoding="utf-8")
    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    board = (ref / "leaderboard.md").read_text(encoding="utf-8")
    assert "changing" in board and "majority" in board and "stale" not in board
    sample = _sample(ref)
    assert readme.read_text(encoding="utf-8") == f"{head}{opening}\n\n{sample}\n{closing}{tail}"

    # a README without the markers is left as it is
    plain = "# A project\n\n| task | tier |\n|---|---:|\n"
    readme.write_text(plain, encoding="utf-8")
    (configs / "changing.toml").write_text('extends = "_base.toml"\n[model]\nname = "majority"\n')
    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    assert (ref / "leaderboard.md").read_text(encoding="utf-8") != board  # the board moved
    assert readme.read_text(encoding="utf-8") == plain

    # a reference outside results/reference/ belongs to no project: no README is touched
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stale = f"{opening}\n| stale |\n{closing}\n"
    (elsewhere / "README.md").write_text(stale, encoding="utf-8")
    other = elsewhere / "results" / "other"
    assert (
        main(["check", str(configs / "majority.toml"), "--reference", str(other), "-q", "--update"])
        == 0
    )
    assert (other / "leaderboard.md").is_file()
    assert (elsewhere / "README.md").read_text(encoding="utf-8") == stale
    capsys.readouterr()


def _empty_lists(cues: str, *labels: str) -> str:
    """The lexicon with the lists of ``labels`` emptied (parsed, then written back)."""
    import tomllib

    doc = tomllib.loads(cues)
    for label in labels:
        doc["cues"][label] = []
    lines = [f"default = {json.dumps(doc['default'])}", "[cues]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in doc["cues"].items()]
    neg = doc["negation"]
    lines += ["[negation]", f"words = {json.dumps(neg['words'])}", f"window = {neg['window']}"]
    lines += ["[negation.flip]"] + [f"{k} = {json.dumps(v)}" for k, v in neg["flip"].items()]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_scenario_2_emptied_lexicon_with_its_reference_updated_fails_check_base(
    tmp_path, derived_dir, capsys, monkeypatch
):
    """Issue 24, scenario 2: a change empties the cue lexicon's support and skeptical lists
    and updates its own reference; `check --base HEAD~1` exits 1 naming cue_lexicon's cv
    row "worse" (the project's cue_lexicon config: 5 x 3-fold CV, cross_target, contrast)."""
    from tests.conftest import copy_examples

    repo = tmp_path / "repo"
    configs = repo / "configs"
    copy_examples(repo / "tmp", derived_dir)
    configs.mkdir(parents=True)
    shutil.copy2(repo / "tmp" / "_defaults.toml", configs / "_defaults.toml")
    shutil.rmtree(repo / "tmp")
    lexicon = repo / "cues.toml"
    lexicon.write_text((REPO / "bench" / "data" / "cues.toml").read_text(encoding="utf-8"))
    own = (REPO / "configs" / "cue_lexicon.toml").read_text(encoding="utf-8")
    (configs / "cue_lexicon.toml").write_text(own + 'lexicon = "../cues.toml"\n')
    monkeypatch.chdir(repo)
    assert main(["check", "configs", "-q", "--update"]) == 0
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    lexicon.write_text(_empty_lists(lexicon.read_text(encoding="utf-8"), "support", "skeptical"))
    assert main(["check", "configs", "-q", "--update"]) == 0
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "emptied lexicon, reference updated")
    capsys.readouterr()
    assert main(["check", "configs", "-q", "--base", "HEAD~1"]) == 1
    out = capsys.readouterr().out
    (cv,) = [line for line in out.splitlines() if re.match(r"\s*cue_lexicon\s{2,}cv\s{2,}", line)]
    assert "▼ worse" in cv


@pytest.mark.parametrize("data_filter", [True, False], ids=["data-filter", "by-hand"])
def test_a_base_reference_with_an_absolute_link_is_the_same_one_line_on_any_python(
    tmp_path, monkeypatch, data_filter
):
    """Python < 3.11.4 has no ``tarfile.data_filter``: the check by hand refuses the same
    link with the same message."""
    import tarfile

    from bench.check import reference_at
    from bench.errors import RunError

    if not data_filter:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python's tarfile has no data filter (< 3.11.4)")
    repo = tmp_path / "repo"
    ref = repo / "results" / "reference" / "a"
    ref.mkdir(parents=True)
    outside = tmp_path / "outside.json"
    outside.write_text("{}", encoding="utf-8")
    (ref / "metrics.json").symlink_to(outside)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "link"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True
        )
    with pytest.raises(RunError) as err:
        reference_at("HEAD", repo, tmp_path / "dest")
    assert str(err.value) == (
        "--base HEAD: the reference at HEAD holds a symbolic link that leaves it "
        "(results/reference/a/metrics.json); nothing is read through links: commit the "
        "files themselves"
    )
    assert not (tmp_path / "dest" / "results" / "reference" / "a" / "metrics.json").exists()
