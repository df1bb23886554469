"""``Columns``: the builtin models' ColumnTransformer, without its per-call overhead.

scikit-learn's ``ColumnTransformer`` checks its input, selects each part's columns through
``_safe_indexing`` and narwhals' data-frame detection, and routes metadata on every fit
and every transform: on the default benchmark's folds (17 to 25 rows) that is about a
third of a text model's fit. ``Columns`` does only what the builtin models ask of it: it
fits a clone of each part on ``X[column]`` (a name: a Series; a list of names: a frame),
multiplies a part's output by its weight, and stacks the parts as ColumnTransformer does
(sparse when any part is sparse and the stack's density is below ``sparse_threshold``,
``scipy.sparse.hstack(...).tocsr()``; else dense, ``numpy.hstack``), so its matrices
are ColumnTransformer's, value for value and dtype for dtype
(``tests/test_models.py::test_columns_stacks_what_column_transformer_stacks``).

It is no general replacement: no remainder, no callables or masks for columns, no
``set_output``, no metadata routing. A plug-in that needs those uses ColumnTransformer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

Part = tuple[str, Any, "str | list[str]"]  # (name, transformer, column or columns)


class Columns(TransformerMixin, BaseEstimator):
    """Parts ``(name, transformer, column)``, each fitted on its column(s) of a data
    frame, their outputs stacked side by side; ``transformer_weights`` scales a part's
    output by name."""

    def __init__(
        self,
        transformers: Sequence[Part],
        *,
        transformer_weights: Mapping[str, float] | None = None,
        sparse_threshold: float = 0.3,
    ):
        self.transformers = transformers
        self.transformer_weights = transformer_weights
        self.sparse_threshold = sparse_threshold

    def _weighted(self, name: str, out):
        weight = (self.transformer_weights or {}).get(name)
        return out if weight is None else out * weight

    def fit_transform(self, X, y=None):
        fitted, outs = [], []
        for name, part, column in self.transformers:
            part = clone(part)
            outs.append(self._weighted(name, part.fit_transform(X[column], y)))
            fitted.append((name, part, column))
        self.transformers_ = fitted
        self.n_features_in_ = X.shape[1]
        if any(sparse.issparse(out) for out in outs):
            nnz = sum(o.nnz if sparse.issparse(o) else o.shape[0] * o.shape[1] for o in outs)
            total = sum(o.shape[0] * o.shape[1] for o in outs)
            self.sparse_output_ = bool(nnz / total < self.sparse_threshold)
        else:
            self.sparse_output_ = False
        return self._stack(outs)

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def transform(self, X):
        check_is_fitted(self, "transformers_")
        return self._stack(
            [self._weighted(n, part.transform(X[c])) for n, part, c in self.transformers_]
        )

    def _stack(self, outs: list):
        if self.sparse_output_:
            check = _check_part()
            outs = [o if _checked(o) else check(o) for o in outs]
            return sparse.hstack(outs).tocsr()
        return np.hstack([o.toarray() if sparse.issparse(o) else o for o in outs])

    def get_feature_names_out(self, input_features=None):
        """``name__feature`` for every output column, as ColumnTransformer names them."""
        check_is_fitted(self, "transformers_")
        names = [f"{n}__{f}" for n, t, _ in self.transformers_ for f in t.get_feature_names_out()]
        return np.array(names, dtype=object)


def _checked(part) -> bool:
    """Whether ``check_array(part, accept_sparse=True)`` would return ``part`` itself: a
    sparse matrix, or a 2-d array of numbers (the TF-IDF and lexicon parts). The check
    costs more than stacking a small fold's parts (scikit-learn 1.9 asks narwhals of every
    input whether it is a data frame), so it runs only for other parts (lists, frames,
    object arrays), which it converts as ColumnTransformer's does."""
    if sparse.issparse(part):
        return part.dtype.kind in "biuf"
    return isinstance(part, np.ndarray) and part.ndim == 2 and part.dtype.kind in "biuf"


@functools.cache
def _check_part() -> Any:
    """``check_array(part, accept_sparse=True)`` with infinite values allowed, as
    ColumnTransformer checks each part before a sparse stack. The keyword that allows them
    is ``ensure_all_finite`` from scikit-learn 1.6 and ``force_all_finite`` before (1.4.2,
    the lowest version this project supports, knows only the latter)."""
    from sklearn.utils import check_array

    names = inspect.signature(check_array).parameters
    finite = "ensure_all_finite" if "ensure_all_finite" in names else "force_all_finite"
    return functools.partial(check_array, accept_sparse=True, **{finite: False})
