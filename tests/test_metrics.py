from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from bench.metrics import (
    NO_ANSWER,
    Predictions,
    confusion,
    evaluate,
    intervals,
    log_loss,
    proportion_interval,
    scores,
    width,
)

L = 4
label_lists = st.lists(
    st.tuples(st.integers(0, L - 1), st.integers(0, L - 1)), min_size=1, max_size=80
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@settings(max_examples=150, deadline=None)
@given(label_lists)
def test_scores_match_scikit_learn(pairs):
    gold = np.array([g for g, _ in pairs])
    pred = np.array([p for _, p in pairs])
    labels = list(range(L))
    s = scores(confusion(gold, pred, L), f_avg_idx=[0, 1])
    np.testing.assert_array_equal(
        confusion(gold, pred, L), skm.confusion_matrix(gold, pred, labels=labels)
    )
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(gold, pred))
    p, r, f, sup = skm.precision_recall_fscore_support(
        gold, pred, labels=labels, average=None, zero_division=0
    )
    np.testing.assert_allclose(s["precision"], p)
    np.testing.assert_allclose(s["recall"], r)
    np.testing.assert_allclose(s["f1"], f)
    np.testing.assert_array_equal(s["support"], sup)
    assert s["macro_f1"] == pytest.approx(
        skm.f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    )
    assert s["f_avg"] == pytest.approx(
        skm.f1_score(gold, pred, labels=[0, 1], average="macro", zero_division=0)
    )
    with np.errstate(all="ignore"):
        kappa = skm.cohen_kappa_score(gold, pred, labels=labels)
    if np.isnan(kappa):
        assert np.isnan(s["kappa"])
    else:
        assert s["kappa"] == pytest.approx(kappa)


abstaining_lists = st.lists(
    st.tuples(st.integers(0, L - 1), st.integers(-1, L - 1)), min_size=1, max_size=80
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@settings(max_examples=150, deadline=None)
@given(abstaining_lists)
def test_abstentions_score_as_scikit_learn_scores_a_prediction_outside_the_labels(pairs):
    # NO_ANSWER (-1) is a miss of the gold label and nobody's false positive: scikit-learn's
    # scores with labels= the task's labels and -1 as one more predicted value
    gold = np.array([g for g, _ in pairs])
    pred = np.array([p for _, p in pairs])
    labels = list(range(L))
    cm = confusion(gold, pred, L, width(L, pred))
    s = scores(cm, f_avg_idx=[0, 1])
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(gold, pred))
    p, r, f, sup = skm.precision_recall_fscore_support(
        gold, pred, labels=labels, average=None, zero_division=0
    )
    np.testing.assert_allclose(s["precision"], p)
    np.testing.assert_allclose(s["recall"], r)
    np.testing.assert_allclose(s["f1"], f)
    np.testing.assert_array_equal(s["support"], sup)
    assert s["macro_f1"] == pytest.approx(
        skm.f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    )
    assert s["f_avg"] == pytest.approx(
        skm.f1_score(gold, pred, labels=[0, 1], average="macro", zero_division=0)
    )
    kappa = skm.cohen_kappa_score(gold, pred, labels=[*labels, -1])  # "no answer" a category
    if np.isnan(kappa):
        assert np.isnan(s["kappa"])
    else:
        assert s["kappa"] == pytest.approx(kappa, abs=1e-12)
    np.testing.assert_array_equal(s["predicted"], [(pred == i).sum() for i in labels])


def test_an_abstention_never_becomes_a_label_silently():
    with pytest.raises(ValueError, match="no-answer column"):
        confusion(np.array([1, 2]), np.array([NO_ANSWER, 2]), L)
    assert width(L, np.array([0, 1])) == L and width(L, np.array([0, NO_ANSWER])) == L + 1


def test_evaluate_counts_abstentions_beside_the_confusion_matrix():
    gold = np.array([0, 0, 1, 1, 2, 3])
    pred = np.array([0, NO_ANSWER, 1, 1, NO_ANSWER, 3])
    p = Predictions(
        ids=np.array([f"x{i}" for i in range(6)]),
        groups=np.array([f"g{i}" for i in range(6)]),
        repeat=np.zeros(6, dtype=int),
        fold=np.zeros(6, dtype=int),
        gold=gold,
        pred=pred,
    )
    doc = evaluate(p, ["a", "b", "c", "d"], ["a", "b"], n_boot=50)
    assert doc["confusion_matrix"] == [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
    assert doc["no_answer"] == [1, 0, 1, 0]
    assert [doc["per_class"][k]["predicted"] for k in "abcd"] == [1, 2, 0, 1]
    assert [doc["per_class"][k]["support"] for k in "abcd"] == [2, 2, 1, 1]
    assert doc["pooled"]["accuracy"] == pytest.approx(4 / 6)
    assert doc["per_fold"][0]["test_support"] == [2, 2, 1, 1]


def test_scores_by_hand():
    # gold: a a a b b c ; pred: a a b b c c
    cm = confusion(np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 2, 2]), 3)
    s = scores(cm, f_avg_idx=[0, 1])
    assert s["accuracy"] == pytest.approx(4 / 6)
    # a: P=1, R=2/3, F=0.8; b: P=1/2, R=1/2, F=0.5; c: P=1/2, R=1, F=2/3
    np.testing.assert_allclose(s["f1"], [0.8, 0.5, 2 / 3])
    assert s["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert s["f_avg"] == pytest.approx(0.65)
    # po = 4/6; pe = (3*2 + 2*2 + 1*2) / 36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5
    assert s["kappa"] == pytest.approx(0.5)


def test_stacked_scores_equal_one_by_one():
    rng = np.random.default_rng(0)
    cms = rng.integers(0, 9, size=(5, L, L))
    stacked = scores(cms, [0, 1])
    for i in range(5):
        assert stacked["macro_f1"][i] == pytest.approx(scores(cms[i], [0, 1])["macro_f1"])


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**31 - 1))
def test_log_loss_matches_scikit_learn(n, seed):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(L), size=n)
    gold = rng.integers(0, L, size=n)
    assert log_loss(proba, gold) == pytest.approx(skm.log_loss(gold, proba, labels=range(L)))


def _preds(gold, pred, repeats=1, proba=None):
    n = len(gold)
    return Predictions(
        ids=np.tile(np.arange(n), repeats),
        groups=np.tile(np.arange(n) // 2, repeats),
        repeat=np.repeat(np.arange(repeats), n),
        fold=np.tile(np.arange(n) % 3, repeats),
        gold=np.tile(gold, repeats),
        pred=np.tile(pred, repeats),
        proba=proba,
    )


def test_evaluate_document():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, L, 60)
    pred = np.where(rng.random(60) < 0.7, gold, rng.integers(0, L, 60))
    m = evaluate(
        _preds(gold, pred, repeats=2),
        ["s", "c", "k", "f"],
        ["s", "c"],
        n_boot=200,
        level=0.9,
        random_state=3,
    )
    assert m["n_predictions"] == 120 and m["n_examples"] == 60 and m["n_groups"] == 30
    assert m["pooled"]["macro_f1"] == pytest.approx(
        skm.f1_score(gold, pred, average="macro", labels=range(L)), abs=1e-9
    )
    assert m["repeats"]["macro_f1"]["std"] == 0.0  # both repeats identical
    lo, hi = m["ci"]["macro_f1"]
    assert lo <= m["pooled"]["macro_f1"] <= hi
    assert len(m["per_fold"]) == 6 and set(m["ci"]["per_class_f1"]) == {"s", "c", "k", "f"}
    assert m["per_class"]["s"]["support"] == 2 * int((gold == 0).sum())
    assert evaluate(_preds(gold, pred, 2), "sckf", "sc", n_boot=200, level=0.9, random_state=3) == m


def test_bootstrap_is_seeded_and_perfect_predictions_have_a_point_interval():
    gold = np.arange(40) % L
    p = _preds(gold, gold)
    a = intervals(p, list("sckf"), [0, 1], 300, 0.95, random_state=1)
    assert a == intervals(p, list("sckf"), [0, 1], 300, 0.95, random_state=1)
    assert a["macro_f1"] == [1.0, 1.0] and a["accuracy"] == [1.0, 1.0]
    b = intervals(_preds(gold, (gold + 1) % L), list("sckf"), [0, 1], 300, 0.95, random_state=1)
    assert b["accuracy"] == [0.0, 0.0]


def test_bootstrap_interval_narrows_with_more_data():
    rng = np.random.default_rng(2)

    def width(n):
        gold = rng.integers(0, L, n)
        pred = np.where(rng.random(n) < 0.6, gold, rng.integers(0, L, n))
        lo, hi = intervals(_preds(gold, pred), list("sckf"), [0, 1], 400, 0.95, 0)["accuracy"]
        return hi - lo

    assert width(2000) < width(50) / 3


def test_log_loss_and_its_interval_with_probabilities():
    rng = np.random.default_rng(4)
    gold = rng.integers(0, L, 50)
    proba = rng.dirichlet(np.ones(L), size=50)
    m = evaluate(_preds(gold, proba.argmax(1), proba=proba), list("sckf"), ["s"], n_boot=100)
    assert m["pooled"]["log_loss"] == pytest.approx(
        skm.log_loss(gold, proba, labels=range(L)), abs=1e-9
    )
    lo, hi = m["ci"]["log_loss"]
    assert lo < m["pooled"]["log_loss"] < hi


def _grouped(gold, pred, groups):
    n = len(gold)
    return Predictions(
        ids=np.arange(n),
        groups=np.asarray(groups),
        repeat=np.zeros(n, dtype=np.int64),
        fold=np.zeros(n, dtype=np.int64),
        gold=np.asarray(gold),
        pred=np.asarray(pred),
    )


def test_an_open_interval_side_is_null_and_named_never_clipped():
    """60 groups (>= MIN_CLUSTERS["bca"]: B is not raised) and 39 resamples: a 2.5% tail
    is beyond them, so that side is open (null, listed in ci_open); with 20 groups the
    bootstrap draws FEW_CLUSTERS_ROUNDS and every side is bounded."""
    from bench.report.format import ci

    rng = np.random.default_rng(0)
    gold = rng.integers(0, L, 60)
    pred = np.where(rng.random(60) < 0.95, gold, (gold + 1) % L)
    m = evaluate(_grouped(gold, pred, np.arange(60)), list("sckf"), ["s", "c"], n_boot=39)
    assert "low" in m["ci_open"]["macro_f1"] and m["ci"]["macro_f1"][0] is None
    high = m["ci"]["macro_f1"][1]
    assert high >= m["pooled"]["macro_f1"] and ci(m["ci"]["macro_f1"]) == f"[≤ {high:.3f}]"
    assert "open" not in m["ci"]
    few = evaluate(_grouped(gold, pred, np.arange(60) // 3), list("sckf"), ["s", "c"], n_boot=39)
    assert "ci_open" not in few and None not in few["ci"]["macro_f1"]


def test_per_target_f_avg_is_semeval_eval_pl():
    """eval.pl (SemEval-2016 Task 6) on a target's rows: F_avg = (F_FAVOR + F_AGAINST) / 2
    always, F = 2PR / (P + R), a label absent from gold and predictions scoring 0.
    Worked examples of issue 24 (labels s = support = FAVOR, c = condemn = AGAINST)."""
    from bench.metrics import per_target

    # "Israeli strikes on Iran": 10 condemn, all predicted condemn -> (0 + 1) / 2 = 0.5
    # "Putin as mediator": 5 support, all predicted support -> 0.5 (macro over present: 1)
    # "ceasefire": gold s s c f k, predicted s c c c f -> F_s = 2/3, F_c = 1/2 -> 7/12
    # "talks": only skeptical and fact, both right -> 0 (neither FAVOR nor AGAINST)
    gold = [1] * 10 + [0] * 5 + [0, 0, 1, 3, 2] + [2, 3]
    pred = [1] * 10 + [0] * 5 + [0, 1, 1, 1, 3] + [2, 3]
    targets = ["strikes"] * 10 + ["putin"] * 5 + ["ceasefire"] * 5 + ["talks"] * 2
    p = _grouped(np.array(gold), np.array(pred), np.arange(len(gold)))
    p = Predictions(**{**p.__dict__, "targets": np.array(targets)})
    t = per_target(p, L, [0, 1])
    assert t["strikes"]["f_avg"] == pytest.approx(0.5)
    assert t["putin"]["f_avg"] == pytest.approx(0.5) and t["putin"]["macro_f1"] == 1.0
    assert t["ceasefire"]["f_avg"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert t["talks"]["f_avg"] == 0.0 and t["talks"]["macro_f1"] == 1.0
    # against scikit-learn with labels=[FAVOR, AGAINST], zero_division=0: the same rule
    rows = np.array(targets) == "ceasefire"
    ref = skm.f1_score(
        np.array(gold)[rows], np.array(pred)[rows], labels=[0, 1], average="macro", zero_division=0
    )
    assert t["ceasefire"]["f_avg"] == pytest.approx(ref)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_a_failure_rate_interval_is_scipys_wilson_interval(level):
    """The contrast suite's failure-rate interval is the Wilson score interval (scipy's
    ``binomtest(...).proportion_ci(method="wilson")``), 0 to 1 with no trials."""
    from scipy.stats import binomtest

    assert proportion_interval(0, 0, level) == (0.0, 1.0)
    for n in (1, 2, 7, 19, 100, 1000):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
            assert proportion_interval(k, n, level) == pytest.approx((ci.low, ci.high), abs=1e-10)
    assert proportion_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=5e-5)  # by hand
