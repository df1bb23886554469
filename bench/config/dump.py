"""A resolved ``Config`` back to plain data and TOML (what a run folder's config.toml is)."""

from __future__ import annotations

import os
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from bench.config.schema import SOURCE_KEYS, Config, DatasetConfig

PAIRS = ("columns", "labels")  # fields stored as sorted pairs, written as TOML tables


def as_dict(cfg: Config, relative_to: Path | None) -> dict:
    """The resolved config as plain data, every schema field included; paths relative to
    ``relative_to``, or left out when it is None (what the experiment is, wherever its
    files live). ``None`` values are left out (TOML has no null)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return os.path.relpath(value, relative_to)
        if (
            isinstance(value, tuple)
            and value
            and all(isinstance(v, tuple) and len(v) == 2 for v in value)
        ):
            return {k: plain(v) for k, v in value}  # pairs: a TOML table
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if is_dataclass(value):
            return section(value)
        return value

    def keep(value: Any) -> bool:
        if value is None:
            return False
        if relative_to is None:
            if isinstance(value, Path):
                return False
            if isinstance(value, tuple) and value and isinstance(value[0], Path):
                return False
        return True

    def section(obj: Any) -> dict:
        names = [f.name for f in fields(obj)]
        if isinstance(obj, DatasetConfig):  # only the keys its source reads
            names = [n for n in names if n in SOURCE_KEYS[obj.source]]
        out = {}
        for name in names:
            value = getattr(obj, name)
            if name in PAIRS:
                out[name] = {k: plain(v) for k, v in value}
            elif keep(value):
                out[name] = plain(value)
        return out

    data: dict[str, Any] = {
        "name": cfg.name,
        "description": cfg.description,
        "seed": cfg.seed,
        "task": cfg.task,
        "dataset": section(cfg.dataset),
    }
    if cfg.test is not None:
        data["test"] = section(cfg.test)
    data["model"] = {"name": cfg.model.name, **_model_params(cfg, relative_to)}
    data["protocol"] = section(cfg.protocol)
    data["views"] = dict(cfg.views.switches)
    data["metrics"] = section(cfg.metrics)
    for key in ("dataset", "test"):
        if key in data:
            data[key] = {k: v for k, v in data[key].items() if v != {}}
    return data


def _model_params(cfg: Config, relative_to: Path | None) -> dict[str, Any]:
    """The model's parameters; with ``relative_to``, its file parameters (a lexicon, a
    predictions file, a prompt) relative to that folder, so that a run folder's
    config.toml finds the same files; without it, left out like every other location
    (the files' contents are hashed apart, ``bench.provenance.files_hash``)."""
    from bench.constraints import FilePath
    from bench.models import resolve

    params = dict(cfg.model.params)
    spec = resolve(cfg.model.name, search_path=cfg.path.parent)
    for key, rule in spec.constraints.items():
        if isinstance(rule, FilePath) and params.get(key):
            if relative_to is None:  # a location; the file's contents are files_hash's
                del params[key]
                continue
            located = rule.locate(str(params[key]), cfg.path.parent)
            if located is not None:
                params[key] = os.path.relpath(located, relative_to)
    return params


def to_toml(cfg: Config, relative_to: Path) -> str:
    """The resolved config (defaults merged, no ``extends``) as TOML that can be re-run."""
    import tomli_w

    return tomli_w.dumps(as_dict(cfg, relative_to))
