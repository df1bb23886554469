"""``SharedTfidfVectorizer``: scikit-learn's TfidfVectorizer on ``bench.models.shared``'s
cache. A module of its own so that ``sharing()`` (entered by every group of fold fits)
imports no scikit-learn: a run of a plug-in model that does not use it never loads it."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer

from bench.models.shared import current, documents_key, params_key


def _readonly(X):
    for a in (X.data, X.indices, X.indptr):
        a.flags.writeable = False
    return X


def _nbytes(X) -> int:
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes


class SharedTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer that, inside ``sharing()``, fits once per distinct (parameters,
    documents) and transforms once per distinct (fit, documents)."""

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        self.__dict__.pop("_shared_fit_", None)
        cache = current()
        params = params_key(self) if cache is not None else None
        docs = documents_key(raw_documents) if params is not None else None
        if cache is None or docs is None:
            return super().fit_transform(raw_documents, y)
        key = ("fit", params, docs)
        init = set(self.get_params(deep=False))

        def make():
            X = super(SharedTfidfVectorizer, self).fit_transform(raw_documents, y)
            state = {k: v for k, v in vars(self).items() if k not in init}
            size = _nbytes(X) + 100 * len(self.vocabulary_)  # an n-gram and its dict entry
            return (state, X), size

        state, X = cache.compute(key, make)
        self.__dict__.update(state)
        self._shared_fit_ = key
        return _readonly(X)

    def transform(self, raw_documents):
        cache = current()
        fit = self.__dict__.get("_shared_fit_")
        params = params_key(self) if cache is not None and fit is not None else None
        docs = documents_key(raw_documents) if params is not None else None
        if cache is None or docs is None:
            return super().transform(raw_documents)

        def make():
            X = super(SharedTfidfVectorizer, self).transform(raw_documents)
            return X, _nbytes(X)

        return _readonly(cache.compute(("transform", fit, params, docs), make))
