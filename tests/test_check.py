from __future__ import annotations

import numpy as np

from bench.cli import main
from tests.conftest import REPO, write_base_config
from tests.runs import noisy, write_run


def _configs(tmp_path, derived_dir, C: str = "10.0"):
    folder = tmp_path / "configs"
    folder.mkdir(exist_ok=True)
    write_base_config(folder / "_base.toml", derived_dir, seed=11)
    (folder / "logreg_target.toml").write_text(
        f'extends = "_base.toml"\n[model]\nname = "tfidf_logreg"\nC = {C}\ntarget_aware = true\n'
    )
    (folder / "majority.toml").write_text('extends = "_base.toml"\n[model]\nname = "majority"\n')
    return folder


def test_check_update_pass_then_worsened_model_fails_then_update_passes(
    tmp_path, derived_dir, capsys
):
    configs = _configs(tmp_path, derived_dir)
    ref = tmp_path / "reference"
    args = ["check", str(configs), "--reference", str(ref), "-q", "--n-boot", "500"]
    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    assert sorted(p.name for p in ref.iterdir()) == ["leaderboard.md", "logreg_target", "majority"]
    assert sorted(p.name for p in (ref / "majority").iterdir()) == [
        "config.toml",
        "metrics.json",
        "predictions.jsonl",
    ]
    capsys.readouterr()
    assert main(args) == 0
    assert "reproduced exactly: 2 of 2" in capsys.readouterr().out

    _configs(tmp_path, derived_dir, C="1e-6")  # deliberately worse
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "NOT reproduced: logreg_target" in out and "▼ worse" in out
    assert "check FAILED" in out

    assert (
        main(
            [
                "compare",
                str(ref / "logreg_target"),
                str(_run(configs / "logreg_target.toml", tmp_path / "runs")),
                "--n-boot",
                "500",
            ]
        )
        == 1
    )

    assert main(["check", str(configs), "--reference", str(ref), "-q", "--update"]) == 0
    capsys.readouterr()
    assert main(args) == 0


def _run(config, out):
    assert main(["run", "-q", str(config), "--out", str(out)]) == 0
    return out / config.stem


def test_check_without_reference_fails(tmp_path, derived_dir, capsys):
    configs = _configs(tmp_path, derived_dir)
    assert (
        main(["check", str(configs / "majority.toml"), "--reference", str(tmp_path / "none"), "-q"])
        == 1
    )
    assert "NO reference: majority" in capsys.readouterr().out


def test_shipped_reference_matches_configs():
    ref = REPO / "results" / "reference"
    configs = sorted(
        p.stem for p in (REPO / "configs").glob("*.toml") if not p.name.startswith("_")
    )
    assert sorted(p.name for p in ref.iterdir() if p.is_dir()) == configs


def test_readme_sample_leaderboard_is_the_reference_leaderboard():
    board = (REPO / "results" / "reference" / "leaderboard.md").read_text(encoding="utf-8")
    table = [line for line in board.splitlines() if line.startswith("| ")][1:]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for line in table:
        fields = line.split(" | ")[:5]  # fit times vary; the scores may not
        assert " | ".join(fields) in readme, line


def test_leaderboard_tiers_and_formats(tmp_path, capsys):
    gold = np.arange(300) % 4
    write_run(tmp_path / "runs", "best", gold, noisy(gold, 0.80, 1))
    write_run(tmp_path / "runs", "close", gold, noisy(gold, 0.79, 2))
    write_run(tmp_path / "runs", "poor", gold, noisy(gold, 0.40, 3))
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("task,tier,config")
    tiers = {line.split(",")[2]: line.split(",")[1] for line in lines[1:]}
    assert tiers == {"best": "1", "close": "1", "poor": "2"}
    out = tmp_path / "board.html"
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "html", "--out", str(out)]) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "poor" in html
    capsys.readouterr()
    assert (
        main(
            [
                "leaderboard",
                str(tmp_path / "runs"),
                "--sort",
                "accuracy",
                "--no-tiers",
                "--format",
                "markdown",
            ]
        )
        == 0
    )
    md = capsys.readouterr().out
    assert md.index("best") < md.index("poor") and "| tier |" not in md
    assert main(["leaderboard", str(tmp_path / "empty")]) == 2
