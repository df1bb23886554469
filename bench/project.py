"""A project: the folder its configs' paths are relative to, and what the package ships.

The *project root* of a file is the nearest folder at or above it that holds
``pyproject.toml`` or ``.git`` (the markers black and many tools use; ``stance-bench init``
writes a ``pyproject.toml``), else the working folder. A resolved config (a run folder's
``config.toml``, a reference entry's) writes its paths relative to that root, so the file
is the same wherever the project is checked out and wherever the run folder is.

The package ships the seed dataset's sources and the default configs under
``bench/resources/``; a config names them ``stance-bench:seeds`` (``seeds = ...``) and
``stance-bench:NAME`` (``extends = ...``: the packaged ``NAME.toml``, ``defaults`` being
the shared ``_defaults.toml``). This repository's ``seeds/`` and ``configs/`` are the
sources of those copies (``tests/test_project.py`` holds them byte-identical).
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.errors import ConfigError, did_you_mean

PREFIX = "stance-bench:"
MARKERS = ("pyproject.toml", ".git")
PACKAGE = Path(__file__).resolve().parent  # the installed bench/ folder
RESOURCES = PACKAGE / "resources"
SEEDS = RESOURCES / "seeds"
CONFIGS = RESOURCES / "configs"
SEEDS_NAME = f"{PREFIX}seeds"
DEFAULTS = "defaults"  # stance-bench:defaults is the shared _defaults.toml


def root_of(path: Path | str) -> Path:
    """The project root of ``path`` (a file or a folder): the nearest folder at or above
    it holding one of ``MARKERS``, else the working folder (absolute)."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / m).exists() for m in MARKERS):
            return candidate
    return Path.cwd().resolve()


def is_packaged(value: str) -> bool:
    return value.startswith(PREFIX)


def packaged_configs() -> dict[str, Path]:
    """The packaged configs by the name ``extends = "stance-bench:NAME"`` gives them."""
    out = {}
    for p in sorted(CONFIGS.glob("*.toml")):
        out[DEFAULTS if p.stem == "_defaults" else p.stem] = p
    return out


def packaged_config(value: str, where: str) -> Path:
    """The packaged config ``stance-bench:NAME`` names."""
    name = value[len(PREFIX) :]
    configs = packaged_configs()
    if name not in configs:
        raise ConfigError(
            f"{where} names {value!r}, which the package does not ship"
            f"{did_you_mean(name, configs)} (packaged configs: "
            f"{', '.join(PREFIX + n for n in configs)})"
        )
    return configs[name]


def packaged_seeds(value: str, where: str) -> Path:
    """The packaged seed sources: ``stance-bench:seeds`` is the only packaged seeds folder."""
    if value != SEEDS_NAME:
        raise ConfigError(f"{where} names {value!r}; the packaged seed dataset is {SEEDS_NAME!r}")
    return SEEDS


def portable(path: Path, root: Path) -> str:
    """``path`` as a resolved config writes it: the packaged seeds by name, a path inside
    the project relative to its root (POSIX separators), any other path absolute."""
    path = Path(os.path.normpath(path))
    if path == SEEDS:
        return SEEDS_NAME
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix() or "."
    return str(path)
