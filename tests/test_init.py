"""``stance-bench init``: a project that runs the benchmark outside this repository."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bench.cli import main


def _snapshot(folder):
    """Every file of the project but the run folders and the derived data."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] not in ("runs", "data")
    }


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_init_makes_a_project_that_runs_checks_and_moves(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "demo", "-q", "--n-jobs", "1"]) == 0
    demo = tmp_path / "demo"
    files = _snapshot(demo)
    assert {
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/stance-bench.yml",
        "configs/_defaults.toml",
        "configs/my_model.py",
        "configs/my_model.toml",
        "results/reference/leaderboard.md",
        "results/reference/my_model/config.toml",
    } <= set(files)
    assert files["configs/_defaults.toml"].count(b'extends = "stance-bench:defaults"') == 1
    assert b"uses: stance-bench/stance-bench@v1" in files[".github/workflows/stance-bench.yml"]
    assert sorted(p.name for p in (demo / "results" / "reference").iterdir() if p.is_dir()) == [
        "majority",
        "my_model",
        "tfidf_svm",
    ]

    monkeypatch.chdir(demo)
    assert main(["run", "-q", "--n-jobs", "1"]) == 0
    assert main(["check", "-q", "--n-jobs", "1"]) == 0
    assert "reproduced exactly: 3 of 3" in capsys.readouterr().out
    # the reference's config.toml files name the packaged seeds, and the project's folders
    # relative to its root: moved elsewhere, an update rewrites nothing
    config = (demo / "results" / "reference" / "my_model" / "config.toml").read_text()
    assert 'seeds = "stance-bench:seeds"' in config and 'plugin_dir = "configs"' in config
    assert str(tmp_path) not in config
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(demo, moved)
    monkeypatch.chdir(moved)
    assert main(["check", "--update", "-q", "--n-jobs", "1"]) == 0
    assert _snapshot(moved) == files
    # a reference entry re-runs as it is, to the same bytes
    entry = moved / "results" / "reference" / "my_model"
    again = ["run", str(entry / "config.toml"), "--out", str(tmp_path / "again"), "-q"]
    assert main([*again, "--n-jobs", "1"]) == 0
    assert (tmp_path / "again" / "my_model" / "metrics.json").read_bytes() == (
        entry / "metrics.json"
    ).read_bytes()
    # under git, --base compares with a revision's reference
    _git(moved, "init", "-q")
    _git(moved, "add", ".")
    _git(moved, "commit", "-q", "-m", "init")
    capsys.readouterr()
    assert main(["check", "-q", "--n-jobs", "1", "--base", "HEAD"]) == 0
    assert "against base HEAD" in capsys.readouterr().out


def test_init_refuses_a_folder_with_a_project_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "majority.toml").write_text("mine\n")
    (tmp_path / ".gitignore").write_text("*.pyc")
    before = _snapshot(tmp_path)
    assert main(["init", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert "already has configs/majority.toml" in err and err.count("\n") == 1
    assert _snapshot(tmp_path) == before
