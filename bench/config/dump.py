"""A resolved ``Config`` back to plain data and TOML (what a run folder's config.toml is).

Its paths are relative to the project root (``bench.project``), the packaged seeds are
named ``stance-bench:seeds``, and the file says ``relative_to = "project"``: the same bytes
wherever the project is checked out and wherever the run folder is.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from bench.config.schema import SOURCE_KEYS, Config, DatasetConfig
from bench.project import PACKAGE, portable, root_of

PAIRS = ("columns", "labels")  # fields stored as sorted pairs, written as TOML tables


def as_dict(cfg: Config, root: Path | None) -> dict:
    """The resolved config as plain data, every schema field included; paths relative to
    the project folder ``root`` (``bench.project.portable``), or left out when it is None
    (what the experiment is, wherever its files live). ``None`` values are left out (TOML
    has no null)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            assert root is not None  # paths are left out without a root
            return portable(value, root)
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
        if root is None:
            if isinstance(value, Path):
                return False
            if isinstance(value, tuple) and value and isinstance(value[0], Path):
                return False
        return True

    def section(obj: Any) -> dict:
        names = [f.name for f in fields(obj)]
        if isinstance(obj, DatasetConfig):  # only the keys its source reads
            names = [n for n in names if n in SOURCE_KEYS[obj.source]]
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(obj, name)
            if isinstance(obj, DatasetConfig) and name == "name" and Path(value).is_absolute():
                # a local hub folder (``bench.config.load`` made it absolute): a path like
                # any other, written "./"-relative so that a reload reads it as a path
                if root is not None:
                    where = portable(Path(value), root)
                    out[name] = where if Path(where).is_absolute() else f"./{where}"
                continue
            if name in PAIRS:
                out[name] = {k: plain(v) for k, v in value}
            elif keep(value):
                out[name] = plain(value)
        return out

    data: dict[str, Any] = {"name": cfg.name, "description": cfg.description}
    if root is not None:
        data["relative_to"] = "project"
        if _uses_plugin_dir(cfg):
            data["plugin_dir"] = plain(cfg.plugins)
    data |= {"seed": cfg.seed, "task": cfg.task}
    if cfg.timeout is not None:
        data["timeout"] = cfg.timeout
    data["dataset"] = section(cfg.dataset)
    if cfg.test is not None:
        data["test"] = section(cfg.test)
    data["model"] = {"name": cfg.model.name}
    data["model"] |= {k: plain(v) for k, v in _model_params(cfg, root).items()}
    data["protocol"] = section(cfg.protocol)
    data["views"] = dict(cfg.views.switches)
    data["metrics"] = section(cfg.metrics)
    for key in ("dataset", "test"):
        if key in data:
            data[key] = {k: v for k, v in data[key].items() if v != {}}
    return data


def _uses_plugin_dir(cfg: Config) -> bool:
    """Whether the model reads files of its own (a plug-in's modules, a file parameter)
    that ``plugin_dir`` locates: files outside the package, or a file parameter set (a
    file it only writes, a cache, is not among ``depends_on``)."""
    return (
        cfg.plugin_dir is not None
        or any(not Path(p).resolve().is_relative_to(PACKAGE) for p in cfg.depends_on)
        or bool(_file_params(cfg))
    )


def _file_params(cfg: Config) -> list[str]:
    """The model's file parameters that the config sets (a lexicon, a predictions file, a
    prompt): locations, relative to ``cfg.plugins`` as the loader reads them."""
    from bench.constraints import FilePath
    from bench.models import resolve

    params = dict(cfg.model.params)
    spec = resolve(cfg.model.name, search_path=cfg.plugins)
    return [
        key
        for key, rule in spec.constraints.items()
        if isinstance(rule, FilePath) and params.get(key)
    ]


def _model_params(cfg: Config, root: Path | None) -> dict[str, Any]:
    """The model's parameters. With a ``root``, its file parameters as the config wrote
    them (relative to ``plugin_dir``, which the resolved config then names); without,
    left out like every other location (the files' contents are hashed apart,
    ``bench.provenance.files_hash``)."""
    params = dict(cfg.model.params)
    if root is None:
        for key in _file_params(cfg):
            del params[key]
    return params


def to_toml(cfg: Config) -> str:
    """The resolved config (defaults merged, no ``extends``) as TOML that can be re-run,
    its paths relative to the project root of the config's file."""
    import tomli_w

    return tomli_w.dumps(as_dict(cfg, root_of(cfg.path)))
