"""Honest model selection for sweeps: choose a setting inside each training fold.

``InnerCVSelect`` fits, for every setting of a grid, the model on inner folds of its
training data, keeps the setting with the best pooled inner score (ties: the first
listed), refits it on the whole training data and predicts with it. Scored on the outer
folds, the selected model's score is not inflated by having picked the best of N on the
very folds it is reported on. The inner folds mimic the criterion that ranks: by default
each training target held out in turn (``inner_group_by = "target"``, as the
cross-target view), so a setting that wins by memorising the target → label shortcut of
in-article folds is not the one chosen; ``"group"`` draws grouped k-fold on sentences.
With fewer than two targets in a training fold, grouped folds are used (``inner_folds_``
says which).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted


class InnerCVSelect(ClassifierMixin, BaseEstimator):
    def __init__(
        self,
        *,
        model: str = "majority",
        fixed: dict | None = None,
        grid: list | None = None,
        inner_splits: int = 3,
        inner_group_by: str = "target",
        metric: str = "macro_f1",
        f_avg_labels: list | None = None,
        random_state: int | None = None,
        labels: tuple[str, ...] | None = None,
    ):
        self.model = model
        self.fixed = fixed
        self.grid = grid
        self.inner_splits = inner_splits
        self.inner_group_by = inner_group_by
        self.metric = metric
        self.f_avg_labels = f_avg_labels
        self.random_state = random_state
        self.labels = labels

    def _build(self, setting: dict[str, Any], seed: int):
        from bench.models import resolve

        params = {**(self.fixed or {}), **setting}
        return resolve(self.model).build(params, seed, self.labels)

    def fit(self, X, y):
        from bench.errors import ModelError
        from bench.metrics import confusion, scores
        from bench.protocol import derived_seed, make_folds

        y = np.asarray(y)
        labels = list(self.labels) if self.labels is not None else sorted(set(y.tolist()))
        index = {lab: i for i, lab in enumerate(labels)}
        groups = X["group"].to_numpy() if "group" in X else np.arange(len(y))
        seed = int(self.random_state or 0)
        targets = X["target"].to_numpy() if "target" in X else np.zeros(len(y))
        if self.inner_group_by == "target" and len(np.unique(targets)) >= 2:
            folds = make_folds("leave_one_group_out", y, targets, seed)
            self.inner_folds_ = "target"
        else:
            k = max(2, min(self.inner_splits, len(np.unique(groups))))
            folds = make_folds("group_kfold", y, groups, seed, n_splits=k, require_stratified=False)
            self.inner_folds_ = "group"
        f_idx = [index[lab] for lab in (self.f_avg_labels or labels) if lab in index]
        inner: list[float] = []
        for setting in self.grid or [{}]:
            gold, pred = [], []
            for f in folds:
                est = self._build(setting, derived_seed(seed, f.fold))
                est.fit(X.iloc[f.train], y[f.train])
                gold.append(y[f.test])
                pred.append(np.asarray(est.predict(X.iloc[f.test])).astype(str))
            predicted = np.concatenate(pred)
            unknown = sorted(set(predicted.tolist()) - set(index))
            if unknown:  # never scored as some other label
                raise ModelError(
                    f"model {self.model!r} predicted labels outside the task in inner "
                    f"selection: {', '.join(map(repr, unknown))} (its labels: {', '.join(labels)})"
                )
            g = np.array([index[v] for v in np.concatenate(gold)])
            p = np.array([index[v] for v in predicted])
            value = float(scores(confusion(g, p, len(labels)), f_idx)[self.metric])
            inner.append(-np.inf if np.isnan(value) else value)
        best = int(np.argmax(inner))
        self.inner_scores_ = inner
        self.best_setting_ = (self.grid or [{}])[best]
        self.best_estimator_ = self._build(self.best_setting_, seed).fit(X, y)
        self.classes_ = getattr(self.best_estimator_, "classes_", np.unique(y))
        return self

    def predict(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)
