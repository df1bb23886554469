"""One model per target: the SemEval-2016 Task 6 baselines train a classifier per target."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted


class PerTargetClassifier(ClassifierMixin, BaseEstimator):
    """Fits a clone of ``estimator`` on the rows of each target; routes predictions by the
    ``target`` column. A target seen with one label only predicts that label; a target not
    seen in training falls back to a copy fitted on all rows, fitted when such a target is
    first predicted (the same fit, so the same predictions, as fitting it up front; a
    test set of seen targets never pays for it). ``classes_`` are the labels of training
    and those the copies can predict (the task's labels, for a model that is given them).
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        y = np.asarray(y)
        targets = X["target"].to_numpy()
        self.models_ = {}
        for target in np.unique(targets):
            rows = np.flatnonzero(targets == target)
            labels = np.unique(y[rows])
            self.models_[target] = (
                labels[0] if len(labels) == 1 else clone(self.estimator).fit(X.iloc[rows], y[rows])
            )
        fitted = [m for m in self.models_.values() if not isinstance(m, str)]
        self._train_data = (X, y)
        self.fallback_ = None
        if not fitted:  # no copy tells the classes a fitted one can predict
            fitted = [self._fallback()]
        known = {str(c) for m in fitted for c in getattr(m, "classes_", [])}
        self.classes_ = np.array(sorted({*map(str, y), *known}), dtype=object)
        return self

    def _fallback(self):
        """The copy fitted on all rows, for targets not seen in training."""
        if self.fallback_ is None:
            X, y = self._train_data
            self.fallback_ = clone(self.estimator).fit(X, y)
            extra = {str(c) for c in getattr(self.fallback_, "classes_", [])}
            if hasattr(self, "classes_") and not extra <= set(self.classes_):
                raise ValueError(
                    f"fitted on all rows, {type(self.estimator).__name__} predicts classes "
                    f"{sorted(extra - set(self.classes_))} that none of its per-target copies "
                    "knows"
                )
        return self.fallback_

    def _route(self, X):
        check_is_fitted(self, "models_")
        targets = X["target"].to_numpy()
        for target in np.unique(targets):
            rows = np.flatnonzero(targets == target)
            model = self.models_.get(target)
            yield rows, self._fallback() if model is None else model

    def predict(self, X):
        out = np.empty(len(X), dtype=object)
        for rows, model in self._route(X):
            out[rows] = model if isinstance(model, str) else model.predict(X.iloc[rows])
        return out

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        out = np.zeros((len(X), len(self.classes_)))
        index = {c: i for i, c in enumerate(self.classes_)}
        for rows, model in self._route(X):
            if isinstance(model, str):
                out[rows, index[model]] = 1.0
            else:
                cols = [index[c] for c in model.classes_]
                out[np.ix_(rows, cols)] = model.predict_proba(X.iloc[rows])
        return out
