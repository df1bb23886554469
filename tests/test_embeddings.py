from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd

from bench.models import embeddings
from bench.models.embeddings import DIM, TextEmbedder, embed

TEXTS = [
    "Leaders condemned the strikes on the city.",
    "They called for an immediate ceasefire.",
    "Critics doubt the mediator's credibility.",
    "The meeting took place on Thursday.",
    "",
]
DIGEST = (
    "import hashlib, sys; from bench.models.embeddings import embed; "
    "print(hashlib.sha256(embed(sys.argv[1:]).tobytes()).hexdigest())"
)


def test_embeddings_are_normalized_float32_rows():
    vecs = embed(TEXTS)
    assert vecs.shape == (len(TEXTS), DIM) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs[:-1], axis=1), 1.0, rtol=1e-5)
    assert not vecs[-1].any(), "a text without tokens embeds as zeros, not NaN"
    assert embed([]).shape == (0, DIM)


def test_embeddings_are_the_same_bytes_in_another_process_and_any_batch():
    here = hashlib.sha256(embed(TEXTS).tobytes()).hexdigest()
    out = subprocess.run(
        [sys.executable, "-c", DIGEST, *TEXTS], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == here
    embeddings._CACHE.clear()
    one_by_one = np.stack([embed([t])[0] for t in reversed(TEXTS)])[::-1]
    assert one_by_one.tobytes() == embed(TEXTS).tobytes()


def test_embeddings_are_cached_by_text(monkeypatch):
    embed(TEXTS)
    calls = []
    model = embeddings.load_model()

    class Counting:
        def embed(self, texts, **kw):
            calls.append(list(texts))
            return model.embed(texts, **kw)

    monkeypatch.setattr(embeddings, "load_model", lambda: Counting())
    before = embeddings.cache_size()
    embed(TEXTS + TEXTS[:2])
    assert calls == [] and embeddings.cache_size() == before
    embed(["A new sentence.", TEXTS[0], "A new sentence."])
    assert calls == [["A new sentence."]]


def test_text_embedder_adds_the_target_when_target_aware():
    X = pd.DataFrame({"text": TEXTS[:2], "target": ["strikes", "ceasefire"]})
    plain = TextEmbedder().fit_transform(X)
    aware = TextEmbedder(target_aware=True).fit_transform(X)
    assert plain.shape == (2, DIM) and aware.shape == (2, 3 * DIM)
    np.testing.assert_array_equal(aware[:, :DIM], plain)
    np.testing.assert_array_equal(aware[:, 2 * DIM :], plain * aware[:, DIM : 2 * DIM])
