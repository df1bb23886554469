from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bench.errors import ProtocolError
from bench.protocol import assign_groups, folds_hash, make_folds, max_stratified_splits

GROUPS = np.repeat(np.arange(30), 2)
Y = np.array(["a", "b", "c"])[np.repeat(np.arange(30) % 3, 2)]

# The default protocol (seed 20251, group_kfold, 3 splits x 5 repeats) on the seed dataset,
# task joint. Folds are data: this may change only with the seed data or on purpose.
SEED_DATASET_FOLDS_HASH = "b86f52644526df90b5dd6a65bba1c124ca52eb94b3fcd8d5c32e9c30dc1eebd6"


def proto(kind="group_kfold", n_splits=3, n_repeats=2, test_size=0.25):
    return {"kind": kind, "n_splits": n_splits, "n_repeats": n_repeats, "test_size": test_size}


def folds_of(p, y, groups, seed, **kw):
    """``make_folds`` for a protocol given as ``proto(...)``."""
    return make_folds(
        p["kind"], y, groups, seed, **{k: v for k, v in p.items() if k != "kind"}, **kw
    )


@pytest.mark.parametrize("kind", ["group_kfold", "leave_one_group_out", "split"])
def test_no_group_is_in_train_and_test(kind):
    for f in folds_of(proto(kind), Y, GROUPS, seed=1):
        assert not set(GROUPS[f.train]) & set(GROUPS[f.test])
        assert len(f.train) + len(f.test) == len(Y)


def test_each_repeat_covers_every_row_once_and_repeats_differ():
    folds = folds_of(proto(n_repeats=3), Y, GROUPS, seed=1)
    for r in range(3):
        tested = np.concatenate([f.test for f in folds if f.repeat == r])
        assert sorted(tested) == list(range(len(Y)))
    first = [tuple(f.test) for f in folds if f.repeat == 0]
    second = [tuple(f.test) for f in folds if f.repeat == 1]
    assert first != second
    for f in folds:
        assert set(Y[f.test]) == {"a", "b", "c"}, "stratified: every label in every test fold"


def test_folds_are_seeded():
    ids = np.arange(len(Y))
    a = folds_hash(folds_of(proto(), Y, GROUPS, seed=5), ids)
    assert a == folds_hash(folds_of(proto(), Y, GROUPS, seed=5), ids)
    assert a != folds_hash(folds_of(proto(), Y, GROUPS, seed=6), ids)


def test_seed_dataset_folds_are_pinned(derived_dir):
    """The same seed gives the same folds with every numpy and scikit-learn version."""
    from bench.corpus.store import PARQUET
    from bench.data import seed_frame

    frame = seed_frame(derived_dir / PARQUET, "joint")
    folds = folds_of(
        proto(n_splits=3, n_repeats=5),
        frame["label"].to_numpy(),
        frame["group"].to_numpy(),
        seed=20251,
    )
    assert len(folds) == 15
    for f in folds:
        assert set(frame["label"].iloc[f.test]) == set(frame["label"])
    assert folds_hash(folds, frame["id"].to_numpy()) == SEED_DATASET_FOLDS_HASH


def test_too_many_splits_names_the_largest_that_works():
    y = Y.astype(object)
    y[GROUPS < 2] = "rare"  # the rare label lives in 2 sentence groups
    assert max_stratified_splits(y, GROUPS) == (2, "rare")
    with pytest.raises(
        ProtocolError,
        match="label 'rare' occurs in only 2 sentence group"
        r"\(s\); the largest n_splits that works is 2; set n_splits = 2",
    ):
        folds_of(proto(n_splits=3), y, GROUPS, seed=0)
    y[GROUPS == 1] = Y[GROUPS == 1]  # in 1 group: no n_splits works (n_splits >= 2)
    with pytest.raises(
        ProtocolError, match=r"in only 1 sentence group\(s\); no n_splits \(at least 2\) works"
    ):
        folds_of(proto(n_splits=3), y, GROUPS, seed=0)


def test_best_effort_stratification_when_not_required():
    y = Y.astype(object)
    y[GROUPS < 2] = "rare"  # in 2 groups: 3 folds cannot all test it
    folds = folds_of(proto(n_splits=3), y, GROUPS, seed=0, require_stratified=False)
    assert len(folds) == 6
    for f in folds:
        assert len(f.test) and not set(GROUPS[f.train]) & set(GROUPS[f.test])
        assert {"a", "b", "c"} <= set(y[f.test]), "the other labels stay stratified"
    per_repeat = [sum("rare" in set(y[f.test]) for f in folds if f.repeat == r) for r in (0, 1)]
    assert per_repeat == [2, 2], "the two rare groups go to two different folds"


def test_not_required_still_needs_a_group_per_fold():
    targets = np.array(["t1", "t1", "t2", "t2"])
    y = np.array(["a", "b", "a", "b"])
    with pytest.raises(
        ProtocolError, match=r"cannot make 3 folds from 2 group\(s\).*leave_one_group_out"
    ):
        folds_of(proto(n_splits=3), y, targets, seed=0, require_stratified=False)
    folds = folds_of(proto(n_splits=2), y, targets, seed=0, require_stratified=False)
    assert sorted(tuple(targets[f.test]) for f in folds[:2]) == [("t1", "t1"), ("t2", "t2")]


def test_leave_one_group_out_has_one_fold_per_group():
    folds = folds_of(proto("leave_one_group_out"), Y, GROUPS, seed=0)
    assert len(folds) == 30 and all(len(f.test) == 2 for f in folds)
    y = np.array(["a", "a", "b", "b"])  # each label lives in one group
    folds = folds_of(proto("leave_one_group_out"), y, np.array([1, 1, 2, 2]), seed=0)
    assert [list(f.test) for f in folds] == [[0, 1], [2, 3]]


def test_fixed_test_rows():
    is_test = np.arange(len(Y)) >= 50
    (fold,) = folds_of(proto("split"), Y, GROUPS, seed=0, is_test=is_test)
    assert list(fold.test) == list(range(50, 60)) and len(fold.train) == 50


@pytest.mark.parametrize("test_size, n_test_groups", [(0.25, 8), (0.1, 3), (0.5, 15)])
def test_seeded_split_tests_a_share_of_the_groups(test_size, n_test_groups):
    (fold,) = folds_of(proto("split", test_size=test_size), Y, GROUPS, seed=3)
    assert len(np.unique(GROUPS[fold.test])) == n_test_groups
    assert len(fold.test) == 2 * n_test_groups and len(fold.train) == 60 - 2 * n_test_groups
    (again,) = folds_of(proto("split", test_size=test_size), Y, GROUPS, seed=3)
    assert list(again.test) == list(fold.test)
    (other,) = folds_of(proto("split", test_size=test_size), Y, GROUPS, seed=4)
    assert list(other.test) != list(fold.test)


def test_split_that_leaves_nothing_to_train_is_an_error():
    with pytest.raises(ProtocolError, match="empty train or test set"):
        folds_of(proto("split", test_size=0.99), Y, GROUPS, seed=0)


def test_single_label_is_an_error():
    with pytest.raises(ProtocolError, match="only one label"):
        folds_of(proto(), np.array(["a"] * 6), np.arange(6), seed=0)


def test_ungrouped_rows_are_stratified_to_one_row():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c", "rare"], 1000, p=[0.5, 0.3, 0.19, 0.01])
    folds = folds_of(proto(n_splits=5, n_repeats=2), y, np.arange(1000), seed=4)
    for r in (0, 1):
        tests = [f.test for f in folds if f.repeat == r]
        assert max(map(len, tests)) - min(map(len, tests)) <= 1
        for label in np.unique(y):
            per_fold = [int((y[t] == label).sum()) for t in tests]
            assert max(per_fold) - min(per_fold) <= 1, label


def test_large_singleton_and_grouped_data_have_balanced_folds():
    """300k rows, singletons and 50k groups: folds within a thousandth of each other (how
    fast: perf/folds_quality.py)."""
    rng = np.random.default_rng(0)
    y = rng.choice(4, 300_000, p=[0.5, 0.25, 0.2, 0.05])
    for groups in (np.arange(300_000), rng.integers(0, 50_000, 300_000)):
        folds = folds_of(proto(n_splits=5, n_repeats=1), y, groups, seed=0)
        sizes = [len(f.test) for f in folds]
        assert max(sizes) - min(sizes) <= 0.001 * 300_000


@st.composite
def grouped_labels(draw):
    n_groups = draw(st.integers(1, 40))
    sizes = draw(st.lists(st.integers(1, 6), min_size=n_groups, max_size=n_groups))
    groups = np.repeat(draw(st.permutations(range(n_groups))), sizes)
    n_labels = draw(st.integers(2, 4))
    y = np.array(
        draw(st.lists(st.integers(0, n_labels - 1), min_size=len(groups), max_size=len(groups)))
    )
    return y, groups


@settings(max_examples=200, deadline=None)
@given(grouped_labels(), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_groups_never_straddle_and_every_fold_tests_something(data, k, seed):
    y, groups = data
    assume(len(np.unique(y)) >= 2 and len(np.unique(groups)) >= k)
    folds = folds_of(proto(n_splits=k), y, groups, seed, require_stratified=False)
    assert len(folds) == 2 * k
    for r in (0, 1):
        tested = np.concatenate([f.test for f in folds if f.repeat == r])
        assert sorted(tested) == list(range(len(y)))
    for f in folds:
        assert len(f.test) > 0 and not set(groups[f.train]) & set(groups[f.test])
        assert sorted(np.r_[f.train, f.test]) == list(range(len(y)))


@st.composite
def stratifiable(draw):
    """Groups of one label each, every label in at least k groups: (y, groups, k)."""
    k = draw(st.integers(2, 5))
    n_labels = draw(st.integers(2, 4))
    per_label = [draw(st.integers(k, k + 6)) for _ in range(n_labels)]
    labels = np.repeat(np.arange(n_labels), per_label)
    order = draw(st.permutations(range(len(labels))))
    labels = labels[list(order)]
    sizes = np.array(draw(st.lists(st.integers(1, 5), min_size=len(labels), max_size=len(labels))))
    return np.repeat(labels, sizes), np.repeat(np.arange(len(labels)), sizes), k


@settings(max_examples=200, deadline=None)
@given(stratifiable(), st.integers(0, 2**32 - 1))
def test_every_test_fold_has_every_label_when_stratifiable(data, seed):
    """Groups of one label each: a label in at least k groups reaches every fold."""
    y, groups, k = data
    assert max_stratified_splits(y, groups)[0] >= k
    for f in folds_of(proto(n_splits=k), y, groups, seed):
        assert set(y[f.test]) == set(y)


def test_assign_groups_is_deterministic_and_balances_identical_groups():
    counts = np.array([[1, 0]] * 9 + [[0, 1]] * 6)
    a = assign_groups(counts, 3, seed=7)
    assert list(a) == list(assign_groups(counts, 3, seed=7))
    assert np.bincount(a[:9]).tolist() == [3, 3, 3] and np.bincount(a[9:]).tolist() == [2, 2, 2]
