from __future__ import annotations

import numpy as np
import pytest

from bench.config import ProtocolConfig
from bench.errors import ProtocolError
from bench.protocol import folds_hash, make_folds, max_stratified_splits

rng = np.random.default_rng(0)
GROUPS = np.repeat(np.arange(30), 2)
Y = np.array(["a", "b", "c"])[np.repeat(np.arange(30) % 3, 2)]


def proto(kind="group_kfold", n_splits=3, n_repeats=2, test_size=0.25):
    return ProtocolConfig(kind, n_splits, n_repeats, test_size)


@pytest.mark.parametrize("kind", ["group_kfold", "leave_one_group_out", "split"])
def test_no_group_is_in_train_and_test(kind):
    for f in make_folds(proto(kind), Y, GROUPS, seed=1):
        assert not set(GROUPS[f.train]) & set(GROUPS[f.test])
        assert len(f.train) + len(f.test) == len(Y)


def test_each_repeat_covers_every_row_once_and_repeats_differ():
    folds = make_folds(proto(n_repeats=3), Y, GROUPS, seed=1)
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
    a = folds_hash(make_folds(proto(), Y, GROUPS, seed=5), ids)
    assert a == folds_hash(make_folds(proto(), Y, GROUPS, seed=5), ids)
    assert a != folds_hash(make_folds(proto(), Y, GROUPS, seed=6), ids)


def test_too_many_splits_names_the_largest_that_works():
    y = Y.astype(object)
    y[GROUPS < 2] = "rare"  # the rare label lives in 2 sentence groups
    assert max_stratified_splits(y, GROUPS) == (2, "rare")
    with pytest.raises(
        ProtocolError,
        match="label 'rare' occurs in only 2 sentence group"
        r"\(s\); the largest n_splits that works is 2; set n_splits = 2",
    ):
        make_folds(proto(n_splits=3), y, GROUPS, seed=0)


def test_leave_one_group_out_has_one_fold_per_group():
    folds = make_folds(proto("leave_one_group_out"), Y, GROUPS, seed=0)
    assert len(folds) == 30 and all(len(f.test) == 2 for f in folds)


def test_fixed_test_rows():
    is_test = np.arange(len(Y)) >= 50
    (fold,) = make_folds(proto("split"), Y, GROUPS, seed=0, is_test=is_test)
    assert list(fold.test) == list(range(50, 60)) and len(fold.train) == 50


def test_single_label_is_an_error():
    with pytest.raises(ProtocolError, match="only one label"):
        make_folds(proto(), np.array(["a"] * 6), np.arange(6), seed=0)


def test_ungrouped_rows_use_plain_stratified_folds():
    from sklearn.model_selection import StratifiedKFold

    from bench.protocol import derived_seed

    y = np.array(["a", "b", "c"] * 20)
    folds = make_folds(proto(n_repeats=1), y, np.arange(60), seed=4)
    expected = StratifiedKFold(3, shuffle=True, random_state=derived_seed(4, 0)).split(y, y)
    assert [list(f.test) for f in folds] == [list(te) for _, te in expected]
