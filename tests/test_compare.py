"""Verdicts and the gate (bench.compare), and the compare command. The statistical
tests themselves are checked in test_stats.py."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bench.cli import main
from bench.compare import Gate, compare
from bench.stats import holm
from tests.runs import noisy, write_run

GOLD = np.arange(200) % 4


@pytest.fixture
def runs(tmp_path):
    base = write_run(tmp_path / "a", "m", GOLD, noisy(GOLD, 0.85, 1), repeats=2)
    return tmp_path, base


def test_identical_runs_show_no_change(runs):
    tmp, base = runs
    same = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.85, 1), repeats=2)
    c = compare(base, same, Gate(metrics=("macro_f1", "accuracy"), n_boot=500))
    for row in c.rows:
        assert row.delta == 0 and row.p_value == 1.0 and row.verdict == "no significant change"
        assert row.paired and row.tests.get("permutation") == 1.0
    assert not c.failed and c.holm


def test_clearly_worse_is_a_regression(runs):
    tmp, base = runs
    worse = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2)
    c = compare(base, worse, Gate(n_boot=500))
    (row,) = c.rows
    assert row.metric == "macro_f1" and row.delta < -0.3
    assert row.verdict == "worse" and row.regression and c.failed
    assert row.interval.high < 0 and row.p_value < 0.01
    assert row.tests.get("permutation") < 0.01
    assert not compare(base, worse, Gate(n_boot=500, fail_on="never")).failed
    better = compare(worse, base, Gate(n_boot=500))
    assert better.rows[0].verdict == "better" and not better.failed
    assert compare(worse, base, Gate(n_boot=500, fail_on="any-change")).failed


def test_slightly_different_by_chance_is_no_significant_change(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    flipped = pred.copy()
    flipped[[3, 50]] = (flipped[[3, 50]] + 1) % 4
    c = compare(base, write_run(tmp / "b", "m", GOLD, flipped, repeats=2), Gate(n_boot=1000))
    (row,) = c.rows
    assert row.delta != 0 and row.verdict == "no significant change" and not c.failed
    assert row.interval.low <= 0 <= row.interval.high


def test_max_drop_fails_a_drop_that_is_not_significant(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    worse = pred.copy()
    right = np.flatnonzero(pred == GOLD)[:2]
    worse[right] = (worse[right] + 1) % 4
    cand = write_run(tmp / "b", "m", GOLD, worse, repeats=2)
    c = compare(base, cand, Gate(metrics=("accuracy",), n_boot=500))
    assert c.rows[0].verdict == "no significant change" and not c.failed
    c = compare(base, cand, Gate(metrics=("accuracy",), n_boot=500, max_drop=0.005))
    assert c.rows[0].regression and c.rows[0].dropped and c.failed


def test_unpaired_fallback_when_folds_differ(runs):
    tmp, base = runs
    other = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2, folds_hash="e" * 64)
    c = compare(base, other, Gate(n_boot=500))
    (row,) = c.rows
    assert not row.paired and row.tests.get("permutation") is None and row.verdict == "worse"
    assert any("unpaired comparison: the folds differ" in n for n in c.notes)


def test_holm_applies_across_runs_and_metrics(tmp_path):
    for side, acc in (("a", 0.85), ("b", 0.80)):
        for seed, name in enumerate(("m1", "m2")):
            write_run(tmp_path / side, name, GOLD, noisy(GOLD, acc, 10 + seed))
    c = compare(tmp_path / "a", tmp_path / "b", Gate(metrics=("macro_f1", "accuracy"), n_boot=300))
    assert len(c.rows) == 4 and c.holm
    raw = [r.p_value for r in c.rows]
    by_hand = []
    order = sorted(range(4), key=lambda i: raw[i])
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (4 - rank) * raw[i]))
        by_hand.append((i, running))
    assert [r.p_adjusted for r in c.rows] == pytest.approx([q for _, q in sorted(by_hand)])
    assert [r.p_adjusted for r in c.rows] == pytest.approx(holm(raw))


@pytest.mark.parametrize("seed", range(12))
def test_no_verdict_contradicts_its_interval(tmp_path, seed):
    rng = np.random.default_rng(seed)
    gold = np.arange(60) % 4
    for side in ("a", "b"):
        for name in ("m1", "m2", "m3"):
            acc = rng.uniform(0.4, 0.9)
            write_run(tmp_path / side, name, gold, noisy(gold, acc, int(rng.integers(1e6))))
    c = compare(tmp_path / "a", tmp_path / "b", Gate(metrics=("macro_f1", "accuracy"), n_boot=400))
    for r in c.rows:
        excludes_zero = r.interval.low > 0 or r.interval.high < 0
        assert excludes_zero == (r.verdict != "no significant change"), r


def test_missing_runs_warn_and_fail_any_change(tmp_path, capsys):
    write_run(tmp_path / "a", "m1", GOLD, noisy(GOLD, 0.8, 1))
    write_run(tmp_path / "a", "only_a", GOLD, noisy(GOLD, 0.8, 1))
    write_run(tmp_path / "b", "m1", GOLD, noisy(GOLD, 0.8, 1))
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "m1" in out and "only_a is in the base but not in the candidate" in out
    code = main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--fail-on", "any-change"])
    assert code == 1


# --- the command ------------------------------------------------------------------------


def test_cli_compare_formats_exit_codes_and_step_summary(runs, tmp_path, capsys, monkeypatch):
    tmp, base = runs
    worse = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["compare", str(base), str(worse), "--format", "json", "--n-boot", "300"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed"] and doc["rows"][0]["verdict"] == "worse"
    text = summary.read_text()
    assert "▼ worse" in text and "<details>" in text and "| config | view | metric |" in text
    assert "FAIL" in text
    assert main(["compare", str(base), str(base), "--format", "markdown"]) == 0
    assert "● no significant change" in capsys.readouterr().out
    assert main(["compare", str(base), str(tmp / "nope")]) == 2
    assert "no such run folder" in capsys.readouterr().err
    assert main(["compare", str(base), str(worse), "--alpha", "2"]) == 2


@pytest.mark.parametrize("alpha, label", [("0.05", "(95%)"), ("0.2", "(80%)")])
def test_printed_levels_follow_alpha(runs, capsys, alpha, label):
    """One row: its interval is printed at 1 - alpha, and no other level appears."""
    tmp, base = runs
    worse = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2)
    main(["compare", str(base), str(worse), "--alpha", alpha, "--n-boot", "300"])
    out = capsys.readouterr().out
    levels = set(re.findall(r"\((\d+(?:\.\d+)?%)\)", out))
    assert levels == {label.strip("()")}


def test_undefined_kappa_compares_without_crashing(tmp_path, capsys):
    gold = np.zeros(20, dtype=int)  # one label only: chance agreement is 1, kappa undefined
    a = write_run(tmp_path / "a", "m", gold, gold)
    b = write_run(tmp_path / "b", "m", gold, gold)
    assert main(["compare", str(a), str(b), "--metric", "kappa", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["base"] is None and row["delta"] is None and row["verdict"].startswith("no")


def test_no_verdict_contradicts_its_interval_on_the_default_configs():
    """Every pair of the committed reference runs of a task, every view, two metrics."""
    import itertools

    from bench.compare import compare_runs, decide
    from bench.runs import find_runs, load_run
    from tests.conftest import REPO

    runs = [load_run(p) for p in find_runs([REPO / "results" / "reference"])]
    checked = 0
    for task in ("joint", "stance", "fact"):
        mine = [r for r in runs if r.metrics["task"] == task]
        raw = []
        for a, b in itertools.combinations(mine, 2):
            rows, _ = compare_runs(a, b, ["macro_f1", "accuracy"], n_boot=300, random_state=1)
            raw += rows
        c = decide(raw, Gate(), notes=[])
        for r in c.rows:
            if r.delta is None:
                continue
            excludes_zero = r.interval.low > 0 or r.interval.high < 0
            assert excludes_zero == (r.verdict != "no significant change"), r
            checked += 1
    assert checked > 300


def test_abstentions_are_compared_as_misses(tmp_path):
    from bench.metrics import NO_ANSWER, confusion, scores
    from bench.runs import load_run

    rng = np.random.default_rng(5)
    gold = rng.integers(0, 4, 200)
    base = noisy(gold, 0.8, seed=1)
    cand = base.copy()
    cand[:40] = NO_ANSWER  # the candidate abstains on 40 items it may have had right
    b = write_run(tmp_path / "b", "m", gold, base)
    c = write_run(tmp_path / "c", "m", gold, cand)
    run = load_run(c)
    assert (run.predictions()["cv"].pred == NO_ANSWER).sum() == 40  # null read back
    cmp = compare(b, c, Gate(metrics=("accuracy", "macro_f1")))
    by_metric = {r.metric: r for r in cmp.rows}
    assert by_metric["accuracy"].delta == pytest.approx(
        (cand == gold).mean() - (base == gold).mean()
    )
    f1 = scores(confusion(gold, cand, 4, 5), [0, 1])["macro_f1"]
    assert by_metric["macro_f1"].candidate == pytest.approx(float(f1))
    assert by_metric["accuracy"].verdict.value == "worse"
