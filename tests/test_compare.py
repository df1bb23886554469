from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from bench.cli import main
from bench.compare import compare, holm, load_run, mcnemar, nadeau_bengio
from tests.runs import noisy, write_run

GOLD = np.arange(200) % 4


@pytest.fixture
def runs(tmp_path):
    base = write_run(tmp_path / "a", "m", GOLD, noisy(GOLD, 0.85, 1), repeats=2)
    return tmp_path, base


def test_identical_runs_show_no_change(runs):
    tmp, base = runs
    same = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.85, 1), repeats=2)
    c = compare(base, same, metrics=["macro_f1", "accuracy"], n_boot=500)
    for row in c.rows:
        assert row.delta == 0 and row.p_value == 1.0 and row.verdict == "no significant change"
        assert row.ci == (0.0, 0.0) and row.paired and row.mde > 0
        assert row.tests["permutation"] == 1.0
    assert c.exit_code == 0 and c.holm


def test_clearly_worse_is_a_regression_and_exit_1(runs):
    tmp, base = runs
    worse = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2)
    c = compare(base, worse, n_boot=500)
    (row,) = c.rows
    assert row.metric == "macro_f1" and row.delta < -0.3
    assert row.verdict == "worse" and row.regression and c.exit_code == 1
    assert row.ci[1] < 0 and row.p_value < 0.01
    assert row.tests["permutation"] < 0.01 and row.tests["nadeau_bengio"] < 0.01
    assert compare(base, worse, n_boot=500, fail_on="never").exit_code == 0
    better = compare(worse, base, n_boot=500)
    assert better.rows[0].verdict == "better" and better.exit_code == 0
    assert compare(worse, base, n_boot=500, fail_on="any-change").exit_code == 1


def test_slightly_different_by_chance_is_no_significant_change(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    flipped = pred.copy()
    flipped[[3, 50]] = (flipped[[3, 50]] + 1) % 4
    c = compare(base, write_run(tmp / "b", "m", GOLD, flipped, repeats=2), n_boot=1000)
    (row,) = c.rows
    assert row.delta != 0 and abs(row.delta) < row.mde
    assert row.verdict == "no significant change" and c.exit_code == 0
    assert row.ci[0] < 0 < row.ci[1] or row.ci[0] <= row.delta <= row.ci[1]


def test_max_drop_fails_a_drop_that_is_not_significant(runs):
    tmp, base = runs
    pred = noisy(GOLD, 0.85, 1)
    worse = pred.copy()
    right = np.flatnonzero(pred == GOLD)[:6]
    worse[right] = (worse[right] + 1) % 4
    cand = write_run(tmp / "b", "m", GOLD, worse, repeats=2)
    c = compare(base, cand, metrics=["accuracy"], n_boot=500)
    assert c.rows[0].verdict == "no significant change" and c.exit_code == 0
    c = compare(base, cand, metrics=["accuracy"], n_boot=500, max_drop=0.01)
    assert c.rows[0].regression and c.exit_code == 1


def test_mcnemar_against_a_hand_computation(tmp_path):
    gold = np.zeros(40, dtype=int)
    pa = np.zeros(40, dtype=int)
    pb = np.zeros(40, dtype=int)
    pa[:7] = 1  # a wrong on 0..6
    pb[5:15] = 1  # b wrong on 5..14: a right & b wrong = 8 (7..14), a wrong & b right = 5
    a = load_run(write_run(tmp_path / "a", "m", gold, pa))
    b = load_run(write_run(tmp_path / "b", "m", gold, pb))
    n, k = 13, 5
    exact = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)
    assert mcnemar(a, b) == pytest.approx(exact)


def test_nadeau_bengio_against_the_formula():
    base = [
        {"repeat": r, "fold": f, "n_test": 25, "macro_f1": 0.6} for r in range(2) for f in range(4)
    ]
    diffs = [0.05, 0.02, 0.08, -0.01, 0.04, 0.03, 0.06, 0.00]
    cand = [{**b, "macro_f1": 0.6 + d} for b, d in zip(base, diffs, strict=True)]
    d = np.array(diffs)
    t = d.mean() / math.sqrt((1 / 8 + 25 / 75) * d.var(ddof=1))
    assert nadeau_bengio(base, cand, "macro_f1", 100) == pytest.approx(
        2 * student_t.sf(abs(t), df=7)
    )
    assert nadeau_bengio(base, cand[:-1], "macro_f1", 100) is None


def test_holm_by_hand():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([0.001]) == [0.001]


def test_permutation_p_matches_the_exact_permutation_distribution(tmp_path):
    gold = np.zeros(60, dtype=int)
    pa = np.zeros(60, dtype=int)
    pa[:6] = 1  # the candidate fixes 6 errors and changes nothing else
    a = load_run(write_run(tmp_path / "a", "m", gold, pa))
    b = load_run(write_run(tmp_path / "b", "m", gold, np.zeros(60, dtype=int)))
    from bench.compare import compare_pair

    (row,), _ = compare_pair(a, b, ["accuracy"], n_boot=20000, alpha=0.05, random_state=0)
    assert row["tests"]["permutation"] == pytest.approx(2 / 2**6, abs=0.006)
    assert row["tests"]["mcnemar"] == pytest.approx(2 / 2**6)


def test_unpaired_fallback_when_folds_differ(runs):
    tmp, base = runs
    other = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2, folds_hash="e" * 64)
    c = compare(base, other, n_boot=500)
    (row,) = c.rows
    assert not row.paired and row.tests["permutation"] is None and row.verdict == "worse"
    assert any("unpaired comparison: the folds differ" in n for n in c.notes)


def test_holm_applies_across_runs_and_metrics(tmp_path):
    for side, acc in (("a", 0.85), ("b", 0.84)):
        for name in ("m1", "m2"):
            write_run(tmp_path / side, name, GOLD, noisy(GOLD, acc, hash(name) % 100))
    c = compare(tmp_path / "a", tmp_path / "b", metrics=["macro_f1", "accuracy"], n_boot=300)
    assert len(c.rows) == 4 and c.holm
    assert [r.p_adjusted for r in c.rows] == pytest.approx(holm([r.p_value for r in c.rows]))


def test_mde_shrinks_with_more_data(tmp_path):
    small = np.arange(40) % 4
    big = np.arange(2000) % 4
    c_small = compare(
        write_run(tmp_path / "s1", "m", small, noisy(small, 0.7, 1)),
        write_run(tmp_path / "s2", "m", small, noisy(small, 0.7, 2)),
        n_boot=400,
    )
    c_big = compare(
        write_run(tmp_path / "b1", "m", big, noisy(big, 0.7, 1)),
        write_run(tmp_path / "b2", "m", big, noisy(big, 0.7, 2)),
        n_boot=400,
    )
    assert c_big.rows[0].mde < c_small.rows[0].mde / 3


# --- the command ------------------------------------------------------------------------


def test_cli_compare_formats_exit_codes_and_step_summary(runs, tmp_path, capsys, monkeypatch):
    tmp, base = runs
    worse = write_run(tmp / "b", "m", GOLD, noisy(GOLD, 0.40, 2), repeats=2)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["compare", str(base), str(worse), "--format", "json", "--n-boot", "300"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 1 and doc["rows"][0]["verdict"] == "worse"
    text = summary.read_text()
    assert "▼ worse" in text and "<details>" in text and "| config | metric |" in text
    assert main(["compare", str(base), str(base), "--format", "markdown"]) == 0
    assert "● no significant change" in capsys.readouterr().out
    assert main(["compare", str(base), str(tmp / "nope")]) == 2
    assert "no such run folder" in capsys.readouterr().err
    assert main(["compare", str(base), str(worse), "--alpha", "2"]) == 2


def test_cli_compare_folders_of_runs_matched_by_name(tmp_path, capsys):
    write_run(tmp_path / "a", "m1", GOLD, noisy(GOLD, 0.8, 1))
    write_run(tmp_path / "a", "only_a", GOLD, noisy(GOLD, 0.8, 1))
    write_run(tmp_path / "b", "m1", GOLD, noisy(GOLD, 0.8, 1))
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "m1" in out and "only_a: only in" in out


def test_undefined_kappa_compares_without_crashing(tmp_path, capsys):
    gold = np.zeros(20, dtype=int)  # one label only: chance agreement is 1, kappa undefined
    a = write_run(tmp_path / "a", "m", gold, gold)
    b = write_run(tmp_path / "b", "m", gold, gold)
    assert main(["compare", str(a), str(b), "--metric", "kappa", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["base"] is None and row["delta"] is None and row["verdict"].startswith("no")
