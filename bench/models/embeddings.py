"""Pretrained sentence embeddings: WordLlama's 256-dim model, shipped inside its wheel.

The model is loaded once per process, from the installed package only (downloads
disabled; the tokenizer file ships in the wheel too, so nothing is fetched and no process-wide
setting such as HF_HUB_OFFLINE is touched). Embeddings are cached per process by the text's hash;
the model embeds each text independently of its batch, so the bytes are the same
whatever the folds, their order or the number of jobs.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from bench.errors import ModelError

PACKAGE = "wordllama"
DIM = 256
_CACHE: dict[bytes, np.ndarray] = {}  # sha256(text) -> its (normalized) embedding
_CACHE_MAX = 500_000


@lru_cache(maxsize=1)
def load_model():
    """The WordLlama model from the installed wheel; never downloads."""
    from pathlib import Path

    try:
        import wordllama
        from wordllama import WordLlama

        return WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, dim=DIM, disable_download=True
        )
    except ImportError:
        raise ModelError(
            f"the embedding models need the {PACKAGE!r} package: pip install {PACKAGE}"
        ) from None
    except Exception as exc:  # a broken install: missing weight files, bad tokenizer file
        raise ModelError(f"cannot load the {PACKAGE} model ({type(exc).__name__}: {exc})") from None


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def embed(texts) -> np.ndarray:
    """L2-normalized float32 embeddings, one row per text (zeros for a text without
    tokens); a cached text is not re-embedded."""
    texts = [str(t) for t in texts]
    keys = [_key(t) for t in texts]
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in _CACHE}
    if missing:
        if len(_CACHE) + len(missing) > _CACHE_MAX:
            _CACHE.clear()
        vecs = np.asarray(load_model().embed(list(missing.values())), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        vecs = np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)
        _CACHE.update(zip(missing, vecs, strict=True))
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([_CACHE[k] for k in keys])


def cache_size() -> int:
    return len(_CACHE)


class TextEmbedder(TransformerMixin, BaseEstimator):
    """Embeds the ``text`` column; with ``target_aware``, also the ``target`` column and
    their elementwise product, so that a linear model can weigh words by target."""

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
