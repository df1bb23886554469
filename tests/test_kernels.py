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
    assert pinned["blas"].startswith("openblas ") and pinned["blas"].endswith(f" {kernels.CORE}")
    # the user's choice wins
    theirs = probe(OPENBLAS_CORETYPE="Sandybridge")
    assert theirs["env"] == "Sandybridge"
    assert theirs["blas"].endswith(" Sandybridge")
    # numpy loaded first: too late, nothing is set (the manifest's blas says what ran)
    assert probe(numpy_first=True)["env"] is None


def test_the_manifest_names_the_blas_kernels(tmp_path, derived_dir):
    """A run's manifest says which BLAS and kernels computed it (numpy's wheels bundle
    OpenBLAS; the kernels' name is its last word)."""
    from bench.cli import main
    from tests.conftest import write_base_config

    base = write_base_config(tmp_path / "_base.toml", derived_dir)
    config = tmp_path / "m.toml"
    config.write_text(f'extends = "{base.name}"\n[model]\nname = "majority"\n')
    assert main(["run", str(config), "--out", str(tmp_path / "runs"), "-q", "--n-jobs", "1"]) == 0
    (manifest,) = (tmp_path / "runs").glob("*/manifest.json")
    named = json.loads(manifest.read_text())["machine"]["blas"]
    assert named.startswith("openblas ") and len(named.split()) == 3
