"""The rank score (defined once, in bench.ranking), tiers and the leaderboard command."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bench.cli import main
from bench.metrics import scores
from bench.ranking import (
    components,
    permutation_tiers,
    rank,
    rank_score,
    tiers,
    tiers_sentence,
    view_score,
)
from bench.runs import find_runs, load_run
from tests.conftest import REPO
from tests.runs import noisy, write_run

REFERENCE = REPO / "results" / "reference"


def test_one_rank_score_on_the_reference_runs():
    """The leaderboard's value (from metrics.json) is the components' weighted sum, and
    each component's value recomputed from the predictions gives the same number."""
    from bench.metrics import confusion, scores

    for run in (load_run(p) for p in find_runs([REFERENCE])):
        views = run.views()
        parts = components(views)
        assert sum(c.weight for c in parts) == pytest.approx(1.0)
        f_idx = [run.labels.index(lab) for lab in run.metrics["f_avg_labels"]]
        total = 0.0
        for c in parts:
            p = run.predictions()[c.view]
            rows = p.test_type == c.test_type if c.test_type is not None else slice(None)
            cm = confusion(p.gold[rows], p.pred[rows], len(run.labels))
            value = float(scores(cm, f_idx)["macro_f1"])
            if c.test_type is not None:
                assert value == pytest.approx(
                    views[c.view]["by_test_type"][c.test_type]["macro_f1"]
                )
            total += c.weight * value
        assert rank_score(views, "macro_f1") == pytest.approx(total, abs=1e-9), run.name
        if "contrast" in views:  # the contrast value is its type-balanced one
            assert (
                view_score(views["contrast"], "macro_f1")
                == views["contrast"]["balanced"]["macro_f1"]
            )


def test_without_ranked_views_the_main_view_ranks(tmp_path):
    gold = np.arange(40) % 4
    run = load_run(write_run(tmp_path, "m", gold, noisy(gold, 0.7, 1)))
    assert [(c.view, c.weight) for c in components(run.views())] == [("cv", 1.0)]
    (entry,) = rank([run])
    assert entry.score_basis == "cv" and entry.score == run.metrics["pooled"]["macro_f1"]


def test_tiers_of_identical_runs_are_one_and_a_clear_gap_is_cut(tmp_path):
    gold = np.arange(300) % 4
    a = load_run(write_run(tmp_path / "a", "m", gold, noisy(gold, 0.9, 1)))
    same = load_run(write_run(tmp_path / "b", "m", gold, noisy(gold, 0.9, 1)))
    worse = load_run(write_run(tmp_path / "c", "m", gold, noisy(gold, 0.3, 2)))
    assert len(set(tiers([a, same], "macro_f1", 0.05).values())) == 1
    tier_of = tiers([worse, a, same], "macro_f1", 0.05)
    assert tier_of[a.path] == tier_of[same.path] == 1 and tier_of[worse.path] == 2
    # seeded: the same runs give the same tiers, whatever order they come in
    assert tiers([same, worse, a], "macro_f1", 0.05) == tier_of


def _tier_counts(rng, K, U, n_per=6, skill=None):
    """(U, K, 2, 2) counts: per unit and run, right/wrong on one 2-label component."""
    skill = np.full(K, 0.7) if skill is None else np.asarray(skill)
    gold = rng.integers(0, 2, (U, n_per))
    right = rng.random((U, K, n_per)) < skill[None, :, None]
    pred = np.where(right, gold[:, None, :], 1 - gold[:, None, :])
    c = np.zeros((U, K, 2, 2))
    for u in range(U):
        for k in range(K):
            np.add.at(c[u, k], (gold[u], pred[u, k]), 1)
    return c


def _f1(c):
    return scores(c, [0])["macro_f1"]


def test_permutation_tiers_separate_clear_differences_and_keep_equal_runs_together():
    rng = np.random.default_rng(15)
    c = _tier_counts(rng, 4, 60, skill=[0.95, 0.94, 0.6, 0.59])
    tr = permutation_tiers(c, _f1, n_perm=199, rng=0)
    assert tr.tier.tolist() == [1, 1, 2, 2]
    same = np.repeat(c[:, :1], 4, axis=1)  # four identical runs
    assert permutation_tiers(same, _f1, n_perm=99, rng=0).tier.tolist() == [1, 1, 1, 1]
    # lower-better scores: the order and the tiers turn around
    low = permutation_tiers(c, lambda x: 1 - _f1(x), n_perm=199, higher_is_better=False, rng=0)
    assert low.tier.tolist() == [1, 1, 2, 2]
    # deterministic for a seed
    again = permutation_tiers(c, _f1, n_perm=199, rng=0)
    assert again.critical == tr.critical and again.tier.tolist() == tr.tier.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_tiers_are_monotone_in_score_and_cross_tier_pairs_are_separated(seed):
    """A run never sits in a worse tier than a lower-scored run; every pair of runs in
    different tiers has |t| above the critical value."""
    from bench.ranking import _scored_t

    rng = np.random.default_rng(100 + seed)
    K = 7
    skill = np.sort(rng.uniform(0.5, 0.95, K))[::-1][rng.permutation(K)]
    c = _tier_counts(rng, K, 40, skill=skill)
    tr = permutation_tiers(c, _f1, n_perm=99, rng=seed)
    s = tr.scores
    for i in range(K):
        for j in range(K):
            if s[i] > s[j]:
                assert tr.tier[i] <= tr.tier[j]
    a, b = np.triu_indices(K, 1)
    _, t = _scored_t(
        c.reshape(1, 40, K, -1)[:, np.argsort(np.arange(40) % 20, kind="stable")],
        _f1,
        (2, 2),
        a,
        b,
        np.searchsorted(np.sort(np.arange(40) % 20), np.arange(20)),
    )
    for (i, j), tij in zip(zip(a, b, strict=True), t[0], strict=True):
        if tr.tier[i] != tr.tier[j]:
            assert tij > tr.critical
    assert tr.tier.max() > 1  # skills .5-.95 on 240 items: some cut is made


def test_permutation_tiers_split_rate_for_exchangeable_runs():
    """The event the critical value is calibrated on: equal runs on 10 units, 150 tables,
    split into more than one tier in at most alpha (+ 3 s.e.) of them."""
    rng = np.random.default_rng(16)
    n, splits = 150, 0
    for _ in range(n):
        c = _tier_counts(rng, 5, 10, n_per=3)
        splits += permutation_tiers(c, _f1, alpha=0.1, n_perm=49, rng=rng).tier.max() > 1
    assert splits / n <= 0.1 + 3 * np.sqrt(0.09 / n)


def test_tiers_sentence_says_what_they_control():
    assert "at most 5% of cases" in tiers_sentence(0.05)
    assert "at most 1% of cases" in tiers_sentence(0.01)


def test_leaderboard_tiers_and_formats(tmp_path, capsys):
    gold = np.arange(300) % 4
    write_run(tmp_path / "runs", "best", gold, noisy(gold, 0.80, 1))
    write_run(tmp_path / "runs", "close", gold, noisy(gold, 0.79, 2))
    write_run(tmp_path / "runs", "poor", gold, noisy(gold, 0.40, 3))
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("task,tier,config")
    tier_of = {line.split(",")[2]: line.split(",")[1] for line in lines[1:]}
    assert tier_of == {"best": "1", "close": "1", "poor": "2"}
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "markdown"]) == 0
    first = capsys.readouterr().out
    assert tiers_sentence(0.05) in first.replace("\\", "")
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == first  # seeded: byte-identical
    out = tmp_path / "board.html"
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "html", "--out", str(out)]) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "poor" in html
    capsys.readouterr()
    args = ["leaderboard", str(tmp_path / "runs"), "--sort", "accuracy", "--no-tiers"]
    assert main([*args, "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.index("best") < md.index("poor") and "| tier |" not in md
    assert main(["leaderboard", str(tmp_path / "empty")]) == 2
    # log-loss cannot be tiered: a clear message, not a crash
    assert main(["leaderboard", str(tmp_path / "runs"), "--sort", "log_loss"]) == 2
    assert "--no-tiers" in capsys.readouterr().err
    assert main(["leaderboard", str(tmp_path / "runs"), "--out", str(tmp_path)]) == 2


def test_an_interval_from_too_few_sentence_groups_is_marked_rough_in_every_format(tmp_path, capsys):
    """A run whose interval comes from fewer sentence groups than nominal coverage needs
    says so in its metrics (ci_note); the leaderboard marks that interval and says why,
    and leaves the intervals of runs with enough groups unmarked."""
    from bench.metrics import _min_groups
    from bench.report.leaderboard import ROUGH

    few, many = 2 * (_min_groups() - 1), 2 * (_min_groups() + 10)  # two items per group
    for name, n in (("few", few), ("many", many)):
        gold = np.arange(n) % 4
        write_run(tmp_path / "runs", name, gold, noisy(gold, 0.8, 1), data_hash=name * 32)
    rough = f"{_min_groups() - 1} sentence groups: fewer than the {_min_groups()}"
    assert main(["leaderboard", str(tmp_path / "runs")]) == 0
    text = capsys.readouterr().out
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    out = tmp_path / "board.html"
    assert main(["leaderboard", str(tmp_path / "runs"), "--format", "html", "--out", str(out)]) == 0
    for board in (text, markdown, out.read_text()):
        lines = board.replace("<tr", "\n<tr").splitlines()  # the HTML table's rows
        rows = {n: x for x in lines for n in ("few", "many") if f" {n} " in x or f">{n}<" in x}
        assert rows["few"].count(f"]{ROUGH}") == 1 and ROUGH not in rows["many"], board
        assert board.count(f"{ROUGH} {rough}") == 1 and str(_min_groups() + 10) not in board
    # a table of several tasks (the README's compact board) says which tasks a note is of
    from dataclasses import replace

    from bench.ranking import entry
    from bench.report.leaderboard import _notes

    few_run = entry(load_run(tmp_path / "runs" / "few"), "macro_f1")
    many_run = entry(load_run(tmp_path / "runs" / "many"), "macro_f1")
    mixed = [few_run, replace(few_run, task="fact"), replace(many_run, task="stance")]
    note = _notes([few_run])[0].removeprefix(f"{ROUGH} ")
    assert note.startswith(rough)
    assert _notes(mixed) == [f"{ROUGH} (tasks joint, fact) {note}"]


def test_leaderboard_shows_runs_of_one_name_from_two_folders_and_skips_staging(tmp_path, capsys):
    gold = np.arange(100) % 4
    write_run(tmp_path / "a", "svm", gold, noisy(gold, 0.8, 1))
    write_run(tmp_path / "b", "svm", gold, noisy(gold, 0.6, 2))
    shutil.copytree(tmp_path / "a" / "svm", tmp_path / "a" / ".svm.abc.partial")
    assert main(["leaderboard", str(tmp_path / "a"), str(tmp_path / "b"), "--no-tiers"]) == 0
    out = capsys.readouterr().out
    assert "a/svm" in out and "b/svm" in out and ".partial" not in out


def test_leaderboard_has_one_table_per_dataset_and_never_fails_on_views(tmp_path, capsys):
    """Runs on two datasets (data hashes) are never tiered together; names that clash are
    qualified by folder; runs whose views differ are tabled apart, not an exit 2."""
    gold = np.arange(200) % 4
    one, two = "1" * 64, "2" * 64
    write_run(tmp_path / "one", "svm", gold, noisy(gold, 0.8, 1), data_hash=one)
    write_run(tmp_path / "one", "lex", gold, noisy(gold, 0.5, 2), data_hash=one)
    write_run(tmp_path / "two", "svm", gold, noisy(gold, 0.6, 3), data_hash=two)
    write_run(
        tmp_path / "two",
        "svm_ct",
        gold,
        noisy(gold, 0.7, 4),
        data_hash=two,
        views=("cv", "cross_target"),
    )
    folders = [str(tmp_path / "one"), str(tmp_path / "two")]
    assert main(["leaderboard", *folders, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    tables = out.split("### ")[1:]
    assert len(tables) == 3
    heads = [t.splitlines()[0] for t in tables]
    assert heads[0].startswith("Task joint, data 111111111111 (")  # the largest first
    first = tables[0]
    assert "two/" not in first  # "lex" is one run's name: not qualified
    assert "| 1 | one/svm |" in first and "| 2 | lex |" in first  # tiered among themselves
    by_views = {t.splitlines()[2]: t for t in tables[1:]}
    assert "two/svm" in by_views["Rank score: the macro-F1 of cv."]
    assert "svm\\_ct" in by_views["Rank score: the macro-F1 of cross\\_target."]
    assert main(["leaderboard", *folders, "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    header = rows[0].split(",")
    assert {r.split(",")[header.index("dataset")] for r in rows[1:]} == {one, two}


def test_run_rewrites_the_leaderboard_of_every_complete_run_in_the_folder(tmp_path, derived_dir):
    from tests.conftest import write_base_config

    write_base_config(tmp_path / "_base.toml", derived_dir)
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text(
            'extends = "_base.toml"\n[model]\nname = "majority"\n', encoding="utf-8"
        )
    out = tmp_path / "runs"
    assert main(["run", "-q", str(tmp_path / "a.toml"), "--out", str(out)]) == 0
    write_run(out, "elsewhere", np.arange(40) % 4, np.arange(40) % 4)  # a run of another data
    assert main(["run", "-q", str(tmp_path / "b.toml"), "--out", str(out)]) == 0
    board = (out / "leaderboard.md").read_text(encoding="utf-8")
    assert all(f"| {n} |" in board for n in ("a", "b", "elsewhere"))
    csv_rows = (out / "leaderboard.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert sorted(r.split(",")[2] for r in csv_rows) == ["a", "b", "elsewhere"]


def test_a_compact_board_is_one_table_only_when_the_tables_agree():
    """The README's sample (``compact``): one table of every task's rows when the tables
    say the same of their score and tiers; else each table apart, as without it."""
    import dataclasses

    from bench.boards import boards
    from bench.report.leaderboard import render_markdown
    from bench.runs import load_run

    ref = REPO / "results" / "reference"
    tables = boards([load_run(p) for p in sorted(ref.iterdir()) if p.is_dir()], alpha=0.05)
    assert len(tables) == 3
    compact = render_markdown(tables, compact=True)
    assert "### " not in compact and compact.count("| task |") == 1
    assert compact.count("Rank score: ") == 1 and "Tiers are within each task." in compact
    assert compact.count("\n| ") == 1 + sum(len(b.entries) for b in tables)  # header, rows
    # one table that ranks on other views: the tables stay apart, each with its own basis
    other = [dataclasses.replace(tables[0], score_views=("cross_target",)), *tables[1:]]
    assert render_markdown(other, compact=True) == render_markdown(other)
    assert render_markdown(other).count("### Task ") == 3
