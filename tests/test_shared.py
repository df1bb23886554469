"""Shared features: inside ``sharing()`` each TF-IDF part is fitted once per distinct
(parameters, documents), and every model gets exactly what it computes alone."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from bench.models import REGISTRY
from bench.models.features import tfidf_features
from bench.models.shared import current, documents_key, sharing
from bench.models.tfidf import SharedTfidfVectorizer

TEXTS = [
    "The minister welcomed the ceasefire on Monday.",
    "Critics condemned the sanctions after the meeting.",
    "Analysts doubted the peace plan in a statement.",
    "Officials met to discuss the new tax this week.",
    "Lawmakers praised the trade deal at the summit.",
    "Protesters denounced the air strikes late on Friday.",
    "Diplomats questioned the mediation offer during the visit.",
    "The council reported on the election on Thursday.",
    "The president backed the climate bill on Monday.",
    "Critics rejected the border wall this week.",
    "Analysts were skeptical of the merger in a statement.",
    "Officials held talks about the vaccine mandate.",
]
X = pd.DataFrame(
    {
        "text": TEXTS,
        "target": ["ceasefire", "sanctions", "plan", "tax", "deal", "strikes"] * 2,
        "group": [f"g{i}" for i in range(12)],
    }
)
y = np.array(["support", "condemn", "skeptical", "fact"] * 3, dtype=object)
TRAIN, TEST = np.arange(8), np.arange(8, 12)
MODELS = [
    ("tfidf_svm", {}),
    ("tfidf_svm", {"C": 0.1}),
    ("tfidf_logreg", {"target_aware": True}),
    ("tfidf_cnb", {"char_ngrams": []}),
    ("tfidf_svm", {"per_target": True}),
]


def _outputs(name, params):
    est = REGISTRY[name].build(params, 3, ("support", "condemn", "skeptical", "fact"))
    est.fit(X.iloc[TRAIN], y[TRAIN])
    out = [np.asarray(est.predict(X.iloc[TEST]))]
    for method in ("decision_function", "predict_proba"):
        if hasattr(est, method):
            out.append(np.asarray(getattr(est, method)(X.iloc[TEST])))
    return out


def test_models_sharing_features_compute_what_they_compute_alone():
    alone = [_outputs(name, params) for name, params in MODELS]
    with sharing() as cache:
        shared = [_outputs(*MODELS[0])]
        # word + char: fitted, then the test rows transformed for predict; decision_function
        # reuses those
        assert (cache.hits, cache.misses) == (2, 4)
        shared.append(_outputs(*MODELS[1]))
        assert (cache.hits, cache.misses) == (8, 4)  # another C: nothing computed again
        shared += [_outputs(name, params) for name, params in MODELS[2:]]
    for a, b in zip(alone, shared, strict=True):
        assert len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            assert u.dtype == v.dtype and u.tobytes() == v.tobytes()


def test_a_part_is_fitted_once_and_its_matrices_are_read_only():
    docs = X["text"].iloc[TRAIN]
    with sharing() as cache:
        first = SharedTfidfVectorizer(ngram_range=(1, 2))
        a = first.fit_transform(docs)
        second = SharedTfidfVectorizer(ngram_range=(1, 2))
        b = second.fit_transform(docs.copy())  # another object, the same documents
        assert b is a and (cache.hits, cache.misses) == (1, 1)
        assert second.vocabulary_ == first.vocabulary_
        assert second.transform(X["text"].iloc[TEST]) is first.transform(X["text"].iloc[TEST])
        with pytest.raises(ValueError, match="read-only"):
            a.data[0] = 0.0
        other = SharedTfidfVectorizer(ngram_range=(1, 1)).fit_transform(docs)
        assert other is not a  # other parameters: another fit
    assert len(cache.entries) == 0  # emptied when the block ends


def test_features_of_other_documents_are_never_reused():
    docs = list(X["text"].iloc[TRAIN])
    edited = [docs[0].replace("Monday", "Mondey")] + docs[1:]
    with sharing() as cache:
        first = SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
        second = SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
        a, b = first.fit_transform(docs), second.fit_transform(edited)
        assert cache.hits == 0 and b is not a
    assert "ey" in second.vocabulary_ and "ey" not in first.vocabulary_
    assert documents_key(["ab", "c"]) != documents_key(["a", "bc"])  # lengths are hashed
    assert documents_key(["1"]) != documents_key([1])
    assert documents_key(iter(docs)) is None  # an iterator is read once: never shared


def test_a_custom_tokenizer_is_never_shared():
    with sharing() as cache:
        for _ in range(2):
            SharedTfidfVectorizer(tokenizer=str.split, token_pattern=None).fit_transform(TEXTS)
        assert cache.hits == cache.misses == 0


def test_outside_sharing_it_is_a_plain_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    assert current() is None
    ours = SharedTfidfVectorizer(ngram_range=(1, 2)).fit_transform(TEXTS)
    theirs = TfidfVectorizer(ngram_range=(1, 2)).fit_transform(TEXTS)
    assert (ours != theirs).nnz == 0 and ours.data.flags.writeable


def test_the_budget_evicts_the_least_recently_used_and_results_stay_the_same():
    features = [tfidf_features((1, n), (2, 3), False, 1, 0) for n in (1, 2, 3)]
    alone = [f.fit_transform(X).toarray() for f in features]
    with sharing(budget=1) as cache:  # room for one entry only
        shared = [f.fit_transform(X).toarray() for f in features]
        again = [f.fit_transform(X).toarray() for f in features]
        assert len(cache.entries) == 1 and cache.hits == 0
    for a, b, c in zip(alone, shared, again, strict=True):
        assert a.tobytes() == b.tobytes() == c.tobytes()


def test_each_thread_has_its_own_cache():
    seen = {}
    barrier = threading.Barrier(2)

    def work(name):
        with sharing() as cache:
            barrier.wait()
            SharedTfidfVectorizer().fit_transform(TEXTS)
            barrier.wait()
            seen[name] = (current() is cache, cache.misses, len(cache.entries))

    threads = [threading.Thread(target=work, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": (True, 1, 1), "b": (True, 1, 1)}
    assert current() is None


def test_reused_fits_count_the_seconds_they_saved():
    with sharing() as cache:
        SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit_transform(TEXTS * 50)
        assert cache.reused_seconds == 0
        SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit_transform(TEXTS * 50)
        assert cache.reused_seconds == next(iter(cache.entries.values())).seconds > 0


def _fit_in_folder(folder, docs):
    """In another process: the features of ``docs`` through ``folder``."""
    with sharing(folder=folder) as cache:
        v = SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
        X = v.fit_transform(docs)
        T = v.transform(docs[:3])
        return X.toarray(), T.toarray(), v.vocabulary_, cache.hits, cache.misses


def test_processes_sharing_a_folder_compute_each_part_once(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    docs = TEXTS * 20
    alone = _fit_in_folder(None, docs)
    with ProcessPoolExecutor(1) as pool:
        first = pool.submit(_fit_in_folder, tmp_path, docs).result()  # computes, writes
    second = _fit_in_folder(tmp_path, docs)  # this process: reads what the other wrote
    assert first[3:] == (0, 2) and second[3:] == (2, 0)
    for a, b, c in zip(alone[:2], first[:2], second[:2], strict=True):
        assert a.tobytes() == b.tobytes() == c.tobytes()
    assert alone[2] == first[2] == second[2]
    assert sorted(p.suffix for p in tmp_path.iterdir()) == ["", "", ".lock", ".lock"]
    with sharing(folder=tmp_path):
        X = SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit_transform(docs)
        with pytest.raises(ValueError, match="read-only"):
            X.data[0] = 0.0
