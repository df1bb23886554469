"""bench.kernels: one BLAS kernel on every x86-64 machine (the same bytes there)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from bench import kernels

PROBE = """
import json, os, sys
first = sys.argv[1] == "numpy-first"
if first:
    import numpy
import bench
from bench.kernels import blas
print(json.dumps({"env": os.environ.get("OPENBLAS_CORETYPE"), "blas": blas()}))
"""


def probe(*, numpy_first: bool = False, **env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k != kernels.VARIABLE}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "numpy-first" if numpy_first else "bench-first"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(
    sys.platform != "linux"
    or platform.machine().lower() not in ("x86_64", "amd64")
    or not {"avx2", "fma"} <= kernels._cpu_flags(),
    reason="the pin applies to Linux on x86-64 with AVX2 and FMA only",
)
def test_bench_pins_openblas_to_one_kernel_unless_told_otherwise_or_too_late():
    pinned = probe()
    assert pinned["env"] == kernels.CORE
    assert pinned["blas"] is None or pinned["blas"].endswith(f" {kernels.CORE}")
    # the user's choice wins
    theirs = probe(OPENBLAS_CORETYPE="Sandybridge")
    assert theirs["env"] == "Sandybridge"
    assert theirs["blas"] is None or theirs["blas"].endswith(" Sandybridge")
    # numpy loaded first: too late, nothing is set (the manifest's blas says what ran)
    assert probe(numpy_first=True)["env"] is None


def test_the_manifest_names_the_blas_kernels():
    from bench.provenance import machine

    assert machine()["blas"] == kernels.blas()
