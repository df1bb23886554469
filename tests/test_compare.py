"""Verdicts and the gate (bench.compare), and the compare command. The statistical
tests themselves are checked in test_stats.py."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from bench.cli import main
from bench.compare import RANK_ROW, Gate, Verdict, compare, verdict
from bench.stats import MinimumDetectableEffect
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
        assert not row.in_family and row.n_discordant == 0
    assert not c.failed and c.family_size == 0


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


def test_two_changed_groups_cannot_be_significant_and_say_so(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    flipped = pred.copy()
    flipped[[3, 50]] = (flipped[[3, 50]] + 1) % 4
    c = compare(base, write_run(tmp / "b", "m", GOLD, flipped, repeats=2), Gate(n_boot=1000))
    (row,) = c.rows
    assert row.delta != 0 and row.n_discordant == 2 and row.in_family and not c.failed
    # two sentence groups: no outcome reaches the critical value, the MDE is n/a
    assert row.verdict == "inconclusive" and row.mde.value is None
    assert not row.estimable and "cannot be significant" in row.note
    assert row.interval.low <= 0 <= row.interval.high


def test_max_drop_fails_a_drop_that_is_not_significant(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    worse = pred.copy()
    right = np.flatnonzero(pred == GOLD)[:2]
    worse[right] = (worse[right] + 1) % 4
    cand = write_run(tmp / "b", "m", GOLD, worse, repeats=2)
    c = compare(base, cand, Gate(metrics=("accuracy",), n_boot=500))
    assert c.rows[0].verdict == "inconclusive" and not c.failed
    c = compare(base, cand, Gate(metrics=("accuracy",), n_boot=500, max_drop=0.005))
    (row,) = c.rows  # one view: the cv row is the rank score
    assert row.kind == RANK_ROW and row.verdict == "inconclusive"
    assert row.regression and row.dropped and c.failed and c.inconclusive_drops == [row]
    assert not compare(base, cand, Gate(metrics=("accuracy",), max_drop=0.05)).failed


def test_unpaired_fallback_when_folds_differ(runs):
    tmp, base = runs
    other = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2, folds_hash="e" * 64)
    c = compare(base, other, Gate(n_boot=500))
    (row,) = c.rows
    assert not row.paired and row.tests.get("permutation") is None and row.verdict == "worse"
    assert any("unpaired comparison: the folds differ" in n for n in c.notes)


def test_one_family_across_runs_and_metrics(tmp_path):
    for side, acc in (("a", 0.85), ("b", 0.80)):
        for seed, name in enumerate(("m1", "m2")):
            write_run(tmp_path / side, name, GOLD, noisy(GOLD, acc, 10 + seed))
    c = compare(tmp_path / "a", tmp_path / "b", Gate(metrics=("macro_f1", "accuracy"), n_boot=300))
    assert len(c.rows) == 4 and c.family_size == 4 and c.method == "max-T"
    # the units that differ anywhere: 16 here, so all 2**16 joint flips are enumerated
    assert c.exact and c.n_units == 16 and c.n_flips == 2**16 and c.critical_t > 0
    for r in c.rows:
        assert r.p_adjusted >= r.p_value and r.decider == "maxt-exact"
        assert (r.verdict in ("better", "worse")) == (r.p_adjusted <= 0.05)


def test_identical_rows_leave_the_family_and_change_nothing(tmp_path):
    """A changed config decided alone, then beside 12 configs that did not change: the
    same p-value, the same interval; the others are out of the family."""
    write_run(tmp_path / "a", "m", GOLD, noisy(GOLD, 0.85, 1))
    write_run(tmp_path / "b", "m", GOLD, noisy(GOLD, 0.55, 2))
    alone = compare(tmp_path / "a", tmp_path / "b", Gate(n_boot=500)).rows[0]
    for k in range(12):
        for side in ("a", "b"):
            write_run(tmp_path / side, f"same{k:02d}", GOLD, noisy(GOLD, 0.7, 100 + k))
    c = compare(tmp_path / "a", tmp_path / "b", Gate(n_boot=500))
    (row,) = [r for r in c.rows if r.config == "m"]
    assert c.family_size == 1 and len(c.rows) == 13
    assert row.p_adjusted == alone.p_adjusted and row.interval == alone.interval
    assert row.verdict == alone.verdict == "worse"
    assert all(not r.in_family and r.verdict == "no significant change" for r in c.rows if r != row)


def test_verdicts():
    mde = MinimumDetectableEffect(0.2, 0.05, 0.8, "")
    na = MinimumDetectableEffect(None, 0.05, 0.8, "n/a")
    assert verdict(-0.3, True, mde, tolerance=None) is Verdict.WORSE
    assert verdict(0.3, True, mde, tolerance=None) is Verdict.BETTER
    assert verdict(-0.1, False, mde, tolerance=None) == "inconclusive"  # MDE .2 > |delta| .1
    assert verdict(-0.25, False, mde, tolerance=None) == "no significant change"
    assert verdict(-0.01, False, na, tolerance=0.5) == "inconclusive"
    assert verdict(-0.01, False, mde, tolerance=0.25) == "no significant change"
    assert verdict(-0.01, False, mde, tolerance=0.1) == "inconclusive"


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
        assert excludes_zero == (r.verdict in ("better", "worse")), r


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
            rows, _ = compare_runs(a, b, ["macro_f1", "accuracy"])
            raw += rows
        c = decide(raw, Gate(n_boot=300), notes=[], random_state=1)
        for r in c.rows:
            if r.delta is None or not r.in_family:
                continue
            excludes_zero = r.interval.low > 0 or r.interval.high < 0
            assert excludes_zero == (r.verdict in ("better", "worse")), r
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


# --- the scenarios on the committed reference (issue 24) ------------------------


def _reference_with_majority_as(tmp_path, name: str):
    """results/reference with ``name``'s run replaced by majority's predictions (the
    model swapped for one that ignores the text); the other runs unchanged."""
    from bench.io import dumps_json
    from bench.runs import metrics_digest
    from tests.conftest import REPO

    cand = tmp_path / "cand"
    shutil.copytree(REPO / "results" / "reference", cand)
    shutil.copy2(cand / "majority" / "predictions.jsonl", cand / name / "predictions.jsonl")
    doc = json.loads((cand / "majority" / "metrics.json").read_text(encoding="utf-8"))
    doc["config"] = name
    doc["metrics_sha256"] = metrics_digest(doc)  # a consistent run folder, as a re-run writes
    (cand / name / "metrics.json").write_text(dumps_json(doc), encoding="utf-8")
    return REPO / "results" / "reference", cand


def _rows(text: str) -> dict[tuple[str, str], str]:
    """(config, view) -> the row's line, from the text table."""
    out = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 10:
            out[cells[0], cells[1]] = line
    return out


def test_scenario_1_a_regression_among_54_rows_fails_naming_it(tmp_path, capsys):
    """Issue 24, scenario 1: cue_lexicon's predictions replaced by majority's, the 17
    other configs unchanged: one family of 72 rows, cue_lexicon's cv row is worse."""
    base, cand = _reference_with_majority_as(tmp_path, "cue_lexicon")
    assert main(["compare", str(base), str(cand)]) == 1
    out = capsys.readouterr().out
    rows = _rows(out)
    assert "▼ worse" in rows["cue_lexicon", "cv"]
    assert "▼ worse" in rows["cue_lexicon", "cross_target"]
    headline = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert "cue_lexicon cv macro-F1" in headline and "of 72 rows that differ" in headline
    # the headline names exactly the rows that fail, in their words: config, view, metric
    worse = [k for k, line in rows.items() if "▼ worse" in line]
    assert f"{len(worse)} significant regression(s)" in headline
    assert all(f"{c} {v} macro-F1" in headline for c, v in worse)
    assert "∞" not in out and "[-inf" not in out
    # every contrast row says what it is
    contrast = [v for _, v in rows if v.startswith("contrast")]
    assert contrast and all(
        v in ("contrast (pooled)", "contrast (type-balanced)") for v in contrast
    )


def test_rank_score_rows_are_the_leaderboards_rank_score():
    from bench.compare import compare_runs
    from bench.ranking import rank_score
    from bench.runs import find_runs, load_run
    from tests.conftest import REPO

    for path in find_runs([REPO / "results" / "reference"]):
        run = load_run(path)
        rows, _ = compare_runs(run, run, ["macro_f1"])
        (rank,) = [r for r in rows if r.kind == RANK_ROW]
        # metrics.json keeps 10 decimals
        assert rank.base == pytest.approx(rank_score(run.views(), "macro_f1"), abs=1e-9)
        assert rank.delta == 0


def test_no_interval_prints_infinity(runs, tmp_path, capsys):
    """A row that cannot be significant (two groups differ) and an unpaired row: no
    output format prints an infinite bound."""
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    pred[[3, 50]] = (pred[[3, 50]] + 1) % 4
    write_run(tmp / "b", "m", GOLD, pred, repeats=2)
    write_run(tmp / "a", "u", GOLD, noisy(GOLD, 0.85, 3), repeats=2)
    write_run(tmp / "b", "u", GOLD, noisy(GOLD, 0.84, 4), repeats=2, folds_hash="e" * 64)
    for fmt in ("text", "markdown", "json"):
        main(["compare", str(tmp / "a"), str(tmp / "b"), "--format", fmt, "--n-boot", "300"])
        out = capsys.readouterr().out
        assert "∞" not in out and "inf" not in out.replace("info", ""), fmt
        if fmt != "json":
            assert "not estimable at this level" in out


def test_nadeau_bengio_counts_a_repeat_of_the_same_folds_once(tmp_path):
    """A repeat that draws the same partition into folds again (as every repeat does with
    as many folds as sentence groups) is no new evidence: the corrected resampled t-test
    runs on the distinct partitions only, and with one it does not apply: the row's
    sign-flip p stands in, under its own name (decider holm-sign-flip), and a note says so."""
    import json

    from bench.stats import nadeau_bengio

    base, cand = noisy(GOLD, 0.85, 1), noisy(GOLD, 0.8, 2)
    gate = Gate(metrics=("accuracy",), n_boot=300, test="nadeau_bengio")

    def row(name, **kw):
        write_run(tmp_path / name / "a", "m", GOLD, base, repeats=3, **kw)
        write_run(tmp_path / name / "b", "m", GOLD, cand, repeats=3, **kw)
        return compare(tmp_path / name / "a", tmp_path / name / "b", gate)

    def by_hand(name, repeats):
        folds = []
        for side in ("a", "b"):
            doc = json.loads((tmp_path / name / side / "m" / "metrics.json").read_text())
            folds.append({(f["repeat"], f["fold"]): f for f in doc["per_fold"]})
        keys = sorted(k for k in folds[0] if k[0] in repeats)
        n_test = float(np.mean([folds[0][k]["n_test"] for k in keys]))
        test = nadeau_bengio(
            [folds[0][k]["accuracy"] for k in keys],
            [folds[1][k]["accuracy"] for k in keys],
            n_train=len(GOLD) - n_test,
            n_test=n_test,
        )
        return test.p_value

    same = row("same")  # round-robin folds in every repeat: one partition, three times
    r = same.rows[0]
    assert r.tests.nadeau_bengio is None and r.decider == "holm-sign-flip"
    assert any("no nadeau_bengio p for 1 row(s), m [cv] accuracy" in n for n in same.notes)
    # repeats 0 and 2 draw the same partition: the test counts repeats 0 and 1
    mixed = row("mixed", partitions=[5, 6, 5])
    assert mixed.rows[0].decider == "holm-nadeau_bengio"
    assert mixed.rows[0].tests.nadeau_bengio == pytest.approx(by_hand("mixed", {0, 1}), rel=1e-12)
    assert mixed.rows[0].tests.nadeau_bengio != pytest.approx(by_hand("mixed", {0, 1, 2}))
    distinct = row("distinct", partitions=[5, 6, 7])
    assert distinct.rows[0].tests.nadeau_bengio == pytest.approx(
        by_hand("distinct", {0, 1, 2}), rel=1e-12
    )
