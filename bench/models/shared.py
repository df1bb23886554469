"""Fitted features shared by the models of a run: fit each distinct featurizer once.

Inside ``sharing()``, a ``bench.models.tfidf.SharedTfidfVectorizer`` (each TF-IDF part of
the features of every ``text_model``, see ``bench.models.features``) fits once per
distinct (parameters, documents) and transforms once per distinct (fit, documents): a
second model or sweep point on the same fold takes the vocabulary, the idf weights and the
very matrices that the first one computed, so its results are byte-identical to fitting it
alone. Parts are shared one by one: a target-aware model reuses the word and character
n-grams of a model that is not. The shared matrices are read-only (scikit-learn estimators
accept read-only input: joblib's memory maps are), so nothing that reads them can change
them for another model. This module imports no scikit-learn (every group of fold fits
enters ``sharing()``, whatever its model).

The cache is keyed by content, not by object: the vectorizer's parameters, written out as
plain values, and a SHA-256 of the documents. TF-IDF ignores the labels, so two tasks with
the same rows share it too. A vectorizer with anything but plain parameter values (a
custom tokenizer function) or documents that are not a sequence is never shared.

The cache lives in the context that entered ``sharing()`` (each thread of a Dask worker
has its own), holds at most ``budget`` bytes (least recently used entries go first; an
evicted entry is recomputed, with the same result), and is emptied when the block ends.
Outside ``sharing()``, a ``SharedTfidfVectorizer`` is a plain ``TfidfVectorizer``.

``sharing(folder=...)`` also shares across the processes of one machine: an entry not in
this process's memory is looked up in ``folder`` under a lock (one file per key): the first
process to take the lock computes the entry and writes it there (pickled, then renamed into
place), the others wait for the lock and read it, so a group of fits cut in two for two
processes (a sweep's points on one fold) computes its features once. The folder belongs to
the caller, which removes it (the runner: one temporary folder per run, local processes
only).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# What one group of fits may keep for reuse. At 100k rows of short sentences, the word
# 1-2 + char 2-5 n-grams of one fold (80k training rows, 20k test rows) take about 140 MB.
BUDGET = 1 << 30


@dataclass
class _Entry:
    value: Any
    nbytes: int
    seconds: float  # what computing it took


@dataclass
class Cache:
    """The features fitted and computed inside one ``sharing()`` block."""

    budget: int = BUDGET
    folder: Path | None = None  # shared with the other processes of this machine
    entries: OrderedDict[tuple, _Entry] = field(default_factory=OrderedDict)
    nbytes: int = 0
    hits: int = 0
    misses: int = 0
    reused_seconds: float = 0.0  # what the hits would have taken to recompute

    def get(self, key: tuple) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.entries.move_to_end(key)
        self.hits += 1
        self.reused_seconds += entry.seconds
        return entry

    def put(self, key: tuple, value: Any, nbytes: int, seconds: float) -> None:
        """Keep ``value``; the least recently used entries go while over budget (the
        newest stays, even alone over it)."""
        old = self.entries.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes
        self.entries[key] = _Entry(value, nbytes, seconds)
        self.nbytes += nbytes
        while self.nbytes > self.budget and len(self.entries) > 1:
            _, gone = self.entries.popitem(last=False)
            self.nbytes -= gone.nbytes

    def clear(self) -> None:
        self.entries.clear()
        self.nbytes = 0

    def compute(self, key: tuple, make: Callable[[], tuple[Any, int]]) -> Any:
        """The value of ``key``: from memory, else from the folder (another process
        computed it), else ``make()`` (the value and its size in bytes), kept in memory
        and, with a folder, written there for the other processes."""
        entry = self.get(key)
        if entry is not None:
            return entry.value
        if self.folder is None:
            t0 = time.perf_counter()
            value, nbytes = make()
            self.put(key, value, nbytes, time.perf_counter() - t0)
            return value
        import fcntl

        path = self.folder / hashlib.sha256(repr(key).encode()).hexdigest()
        with open(path.with_suffix(".lock"), "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if path.exists():
                with open(path, "rb") as f:
                    value, nbytes, seconds = pickle.load(f)
                self.misses -= 1  # computed once, by another process: a hit here
                self.hits += 1
                self.reused_seconds += seconds
            else:
                t0 = time.perf_counter()
                value, nbytes = make()
                seconds = time.perf_counter() - t0
                part = path.with_suffix(f".{os.getpid()}.part")
                with open(part, "wb") as f:
                    pickle.dump((value, nbytes, seconds), f, protocol=5)
                part.replace(path)
        self.put(key, value, nbytes, seconds)
        return value


_SCOPE: ContextVar[Cache | None] = ContextVar("bench_shared_features", default=None)


@contextlib.contextmanager
def sharing(budget: int = BUDGET, folder: Path | None = None) -> Iterator[Cache]:
    """Share fitted features among the fits inside the block, and with ``folder``, with
    the other processes that share it (see the module's doc)."""
    cache = Cache(budget, None if folder is None else Path(folder))
    token = _SCOPE.set(cache)
    try:
        yield cache
    finally:
        _SCOPE.reset(token)
        cache.clear()


def current() -> Cache | None:
    """The cache of the ``sharing()`` block this code runs in, if any."""
    return _SCOPE.get()


# ------------------------------------------------------------------------------ keys
class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    """``value`` as nested tuples of plain values, equal exactly when two parameter
    values are; raises _NotPlain for anything else (a function, an object)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return (type(value).__name__, value)
    if isinstance(value, (list, tuple, frozenset, set)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return (type(value).__name__, tuple(_plain(v) for v in items))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _plain(v)) for k, v in value.items())))
    if isinstance(value, type) and issubclass(value, np.generic):
        return ("dtype", np.dtype(value).str)
    if isinstance(value, np.dtype):
        return ("dtype", value.str)
    raise _NotPlain(type(value).__name__)


def params_key(est) -> tuple | None:
    """An estimator's class and parameters as plain values; None when one is not plain."""
    try:
        return (type(est).__qualname__, _plain(est.get_params(deep=False)))
    except _NotPlain:
        return None


def documents_key(docs) -> bytes | None:
    """SHA-256 of a sequence of documents (a pandas Series, an array or a list): strings
    by their UTF-8 bytes and lengths, anything else pickled with its type; None for an
    iterator, which cannot be read twice."""
    if hasattr(docs, "tolist"):
        values = docs.tolist()
    elif isinstance(docs, (list, tuple)):
        values = list(docs)
    else:
        return None
    if not isinstance(values, list):  # a 0-d array
        return None
    h = hashlib.sha256(f"{len(values)}:".encode())
    if all(type(v) is str for v in values):
        data = [v.encode("utf-8", "surrogatepass") for v in values]
        h.update(np.fromiter(map(len, data), dtype=np.int64, count=len(data)).tobytes())
        h.update(b"".join(data))
    else:
        h.update(b"pickled:" + pickle.dumps(values, protocol=5))
    return h.digest()
