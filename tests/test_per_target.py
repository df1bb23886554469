from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError

from bench.models import REGISTRY
from bench.models.per_target import PerTargetClassifier

X = pd.DataFrame(
    {
        "text": [f"t{i}" for i in range(9)],
        "target": ["a", "a", "a", "a", "b", "b", "b", "c", "c"],
    }
)
y = np.array(
    ["support", "support", "support", "condemn", "fact", "fact", "skeptical", "fact", "fact"]
)


@pytest.fixture(scope="module")
def fitted():
    return PerTargetClassifier(DummyClassifier(strategy="prior")).fit(X, y)


def test_routes_each_target_to_its_own_model(fitted):
    assert set(fitted.models_) == {"a", "b", "c"}
    assert list(fitted.predict(X.iloc[[0, 4, 7]])) == ["support", "fact", "fact"]
    assert list(fitted.classes_) == sorted(set(y))


def test_a_target_with_one_label_predicts_it(fitted):
    assert fitted.models_["c"] == "fact"
    proba = fitted.predict_proba(X.iloc[[7]])
    assert proba[0, list(fitted.classes_).index("fact")] == 1.0 and proba.sum() == 1.0


def test_an_unseen_target_falls_back_to_the_model_of_all_rows(fitted):
    new = pd.DataFrame({"text": ["x", "t0"], "target": ["zzz", "a"]})
    assert list(fitted.predict(new)) == ["fact", "support"]  # fact: most frequent overall


def test_predict_proba_columns_follow_classes(fitted):
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    col = {c: i for i, c in enumerate(fitted.classes_)}
    np.testing.assert_allclose(
        proba[0, [col["support"], col["condemn"], col["fact"]]], [0.75, 0.25, 0]
    )
    np.testing.assert_allclose(proba[4, [col["fact"], col["skeptical"]]], [2 / 3, 1 / 3])
    assert list(fitted.predict(X)) == list(fitted.classes_[proba.argmax(axis=1)])


def test_contract_and_no_predict_proba_without_one():
    est = PerTargetClassifier(DummyClassifier())
    with pytest.raises(NotFittedError):
        clone(est).predict(X)
    from sklearn.svm import LinearSVC

    assert not hasattr(PerTargetClassifier(LinearSVC()), "predict_proba")


def test_classes_include_the_task_labels_a_wrapped_model_knows():
    labels = ("support", "condemn", "skeptical", "fact", "other")
    est = REGISTRY["cue_lexicon"].build({"per_target": True}, labels=labels).fit(X, y)
    assert isinstance(est, PerTargetClassifier)
    assert set(est.classes_) == set(labels)


class _Counting(DummyClassifier):
    fits: list[int] = []

    def fit(self, X, y):
        _Counting.fits.append(len(X))
        return super().fit(X, y)


def test_the_copy_for_unseen_targets_is_fitted_only_when_one_is_predicted():
    _Counting.fits = []
    est = PerTargetClassifier(_Counting(strategy="prior")).fit(X, y)
    assert sorted(_Counting.fits) == [3, 4] and est.fallback_ is None  # b, a (c: one label)
    est.predict(X)
    est.predict_proba(X)
    assert est.fallback_ is None and len(_Counting.fits) == 2  # every target seen
    new = pd.DataFrame({"text": ["x", "t0"], "target": ["zzz", "a"]})
    proba = est.predict_proba(new)
    assert _Counting.fits[-1] == len(X) and len(_Counting.fits) == 3  # fitted on all rows
    eager = DummyClassifier(strategy="prior").fit(X, y)
    cols = [list(est.classes_).index(c) for c in eager.classes_]
    np.testing.assert_array_equal(proba[0, cols], eager.predict_proba(new.iloc[[0]])[0])
    est.predict(new)
    assert len(_Counting.fits) == 3  # once


def test_targets_of_one_label_each_still_know_the_classes_of_a_fitted_copy():
    labels = ("support", "condemn", "skeptical", "fact")
    one = pd.DataFrame({"text": ["a", "b", "c"], "target": ["x", "x", "y"]})
    est = REGISTRY["cue_lexicon"].build({"per_target": True}, labels=labels)
    est.fit(one, np.array(["fact", "fact", "support"]))
    assert set(est.classes_) == set(labels) and est.fallback_ is not None
