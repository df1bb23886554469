"""TOML configs -> one frozen ``Config``. All validation lives here, at the edge.

A config may ``extends = "other.toml"`` (resolved against its own folder); tables are
merged key by key, the extending file winning, except that a ``[model]`` table, or a
``[dataset]``/``[test]`` table that sets ``source``, replaces the inherited one. Relative
paths resolve against the folder of the file that wrote them; ``${VAR}`` in a path is
taken from the environment. Parsing is pure: nothing is written and nothing is imported
beyond what a model reference needs.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import ConfigError, did_you_mean
from bench.labels import LABELS, TASKS

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

# ---------------------------------------------------------------------------- the schema
# Each key maps to (kind, allowed). kind: str, int, float, bool, path, list, table, choice.
SOURCES = ("seed", "file", "hub")
FORMATS = ("csv", "tsv", "json", "parquet")
PROTOCOLS = ("group_kfold", "leave_one_group_out", "split")
METRICS = ("macro_f1", "accuracy", "f_avg", "kappa")
COLUMN_ROLES = ("text", "target", "label", "id", "group")
DROP = "drop"

_TOP = {
    "name": ("str", None),
    "description": ("str", None),
    "extends": ("path", None),
    "seed": ("int", (0, 2**32 - 1)),
    "task": ("choice", tuple(TASKS)),
    "dataset": ("table", None),
    "test": ("table", None),
    "model": ("table", None),
    "protocol": ("table", None),
    "metrics": ("table", None),
}
_DATASET = {
    "source": ("choice", SOURCES),
    "seeds": ("path", None),
    "data_dir": ("path", None),
    "path": ("paths", None),
    "format": ("choice", FORMATS),
    "name": ("str", None),
    "split": ("str", None),
    "text": ("str", None),
    "columns": ("table", None),
    "labels": ("table", None),
    "encoding": ("str", None),
    "delimiter": ("str", None),
    "quoting": ("choice", ("minimal", "none")),
}
_PROTOCOL = {
    "kind": ("choice", PROTOCOLS),
    "n_splits": ("int", (2, 1000)),
    "n_repeats": ("int", (1, 1000)),
    "test_size": ("float", (0.0, 1.0)),
}
_METRICS = {
    "primary": ("choice", METRICS),
    "f_avg_labels": ("list", None),
    "bootstrap": ("int", (0, 1_000_000)),
    "ci": ("float", (0.0, 1.0)),
}
_SECTIONS = {"dataset": _DATASET, "test": _DATASET, "protocol": _PROTOCOL, "metrics": _METRICS}

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "task": "joint",
    "dataset": {},
    "protocol": {"kind": "group_kfold", "n_splits": 3, "n_repeats": 5, "test_size": 0.25},
    "metrics": {
        "primary": "macro_f1",
        "f_avg_labels": ["support", "condemn"],
        "bootstrap": 1000,
        "ci": 0.95,
    },
}


# ------------------------------------------------------------------------ frozen results
@dataclass(frozen=True)
class DatasetConfig:
    source: str
    seeds: Path | None = None
    data_dir: Path | None = None
    path: tuple[Path, ...] | None = None  # files, read in order and concatenated
    format: str | None = None
    name: str | None = None
    split: str = "train"
    text: str = "sentence"
    columns: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    encoding: str = "utf-8"
    delimiter: str | None = None
    quoting: str = "minimal"

    def gold_labels(self) -> set[str] | None:
        """Our labels this source can yield: the targets of its label mapping, or None
        (all of them) for the seed dataset and sources whose labels are ours already."""
        if self.source == "seed" or not self.labels:
            return None
        return {ours for _, ours in self.labels if ours != DROP}

    def column(self, role: str) -> str | None:
        """The source column that plays ``role`` (text, target, label, id, group).

        Unmapped roles use the column of the same name; the seed dataset's text is the
        column named by ``text`` (default ``sentence``).
        """
        mapped = dict(self.columns)
        if role in mapped:
            return mapped[role]
        return self.text if role == "text" and self.source == "seed" else role


@dataclass(frozen=True)
class ModelConfig:
    name: str  # registry name, or "module:factory"
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ProtocolConfig:
    kind: str
    n_splits: int
    n_repeats: int
    test_size: float


@dataclass(frozen=True)
class MetricsConfig:
    primary: str
    f_avg_labels: tuple[str, ...]
    bootstrap: int
    ci: float


@dataclass(frozen=True)
class Config:
    name: str
    path: Path
    seed: int
    task: str
    dataset: DatasetConfig
    model: ModelConfig
    protocol: ProtocolConfig
    metrics: MetricsConfig
    test: DatasetConfig | None = None
    description: str = ""
    resolved: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's labels that the data can hold: a file or hub dataset with a label
        mapping holds only the labels it maps to (SemEval has no ``skeptical``), so that
        macro averages do not count a label no split can contain."""
        task = TASKS[self.task]
        held: set[str] = set()
        for ds in (self.dataset, self.test):
            if ds is None:
                continue
            own = ds.gold_labels()
            if own is None:
                return task.labels
            held |= {task.mapping[lab] for lab in own if lab in task.mapping}
        return tuple(lab for lab in task.labels if lab in held)


# ------------------------------------------------------------------------------ helpers
def _where(key: str, section: str, path: Path) -> str:
    return f"{key!r} in [{section}] of {path}" if section else f"{key!r} in {path}"


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: str, where: str) -> str:
    def sub(m: re.Match) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise ConfigError(f"{where} uses ${{{var}}}, which is not set; export {var}=...")
        return os.environ[var]

    return _VAR.sub(sub, value)


def _check_value(key: str, value: Any, kind: str, allowed, where: str, base: Path) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where} must be {expected}, got {value!r}")

    if kind == "str":
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if kind == "path":
        if not isinstance(value, str) or not value:
            raise bad("a path (string)")
        p = Path(_expand(value, where)).expanduser()
        return Path(os.path.normpath(p if p.is_absolute() else base / p))
    if kind == "paths":  # one file, or a list read one after the other
        values = value if isinstance(value, list) else [value]
        if not values:
            raise bad("a path or a list of paths")
        return tuple(_check_value(key, v, "path", None, where, base) for v in values)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
        lo, hi = allowed
        if not lo <= value <= hi:
            raise bad(f"an integer in [{lo}, {hi}]")
        return value
    if kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise bad("a number")
        lo, hi = allowed
        if not lo < value < hi:
            raise bad(f"a number in ({lo}, {hi})")
        return float(value)
    if kind == "choice":
        if value not in allowed:
            raise ConfigError(
                f"{where} must be one of {', '.join(map(str, allowed))}; got {value!r}"
                f"{did_you_mean(str(value), allowed)}"
            )
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise bad("a list")
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise bad("a table")
        return value
    raise AssertionError(kind)  # pragma: no cover - the schema is ours


def _check_table(table: Mapping, schema: Mapping, section: str, path: Path, base: Path) -> dict:
    out = {}
    for key, value in table.items():
        if key not in schema:
            where = f"[{section}] of {path}" if section else str(path)
            raise ConfigError(
                f"No such key {key!r} in {where}{did_you_mean(key, schema)} "
                f"(allowed: {', '.join(schema)})"
            )
        kind, allowed = schema[key]
        out[key] = _check_value(key, value, kind, allowed, _where(key, section, path), base)
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8; save the config as UTF-8") from None


def _replaces(key: str, value: dict) -> bool:
    """A [model] table, or a dataset table that names its ``source``, replaces the one it
    extends instead of merging into it (another model or source shares no keys)."""
    return key == "model" or (key in ("dataset", "test") and "source" in value)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not _replaces(key, value):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_layer(path: Path, chain: tuple[Path, ...]) -> dict:
    """One file, checked and with its paths made absolute, merged over what it extends."""
    path = path.resolve()
    if path in chain:
        raise ConfigError(f"{path}: 'extends' forms a cycle ({' -> '.join(p.name for p in chain)})")
    raw = _read_toml(path)
    base = path.parent
    layer = _check_table(raw, _TOP, "", path, base)
    for section, schema in _SECTIONS.items():
        if section in layer:
            layer[section] = _check_table(layer[section], schema, section, path, base)
    if "model" in layer:
        layer["model"] = dict(layer["model"])
    if "extends" in layer:
        parent = _load_layer(Path(layer.pop("extends")), (*chain, path))
        layer = _merge(parent, layer)
    return layer


# ------------------------------------------------------------------------- the sections
def _dataset(raw: dict, section: str, path: Path) -> DatasetConfig:
    merged = dict(raw)
    where = f"[{section}] of {path}"
    source = merged.get("source")
    if source is None:
        source = "file" if "path" in merged else "hub" if "name" in merged else "seed"
        merged["source"] = source
    if source == "file":
        if "path" not in merged:
            raise ConfigError(f"{where}: source 'file' needs path = \"data.csv\"")
        fmt = merged.get("format") or _infer_format(merged["path"][0], where)
        merged["format"] = fmt
    if source == "hub" and "name" not in merged:
        raise ConfigError(f"{where}: source 'hub' needs name = \"owner/dataset\"")
    if source == "seed":  # not in a config: the current folder's, like the CLI's defaults
        merged.setdefault("seeds", Path("seeds").resolve())
        merged.setdefault("data_dir", Path("data/derived").resolve())
    columns = merged.get("columns", {})
    for role, col in columns.items():
        if role not in COLUMN_ROLES:
            raise ConfigError(
                f"No such key {role!r} in [{section}.columns] of {path}"
                f"{did_you_mean(role, COLUMN_ROLES)} (allowed: {', '.join(COLUMN_ROLES)})"
            )
        if not isinstance(col, str):
            raise ConfigError(f"{role!r} in [{section}.columns] of {path} must be a column name")
    labels = merged.get("labels", {})
    for src, ours in labels.items():
        if ours not in (*LABELS, DROP):
            raise ConfigError(
                f"{src!r} in [{section}.labels] of {path} must map to one of "
                f"{', '.join(LABELS)} or {DROP!r}; got {ours!r}{did_you_mean(str(ours), LABELS)}"
            )
    if "delimiter" in merged and len(merged["delimiter"]) != 1:
        raise ConfigError(f"'delimiter' in {where} must be one character")
    if "encoding" in merged:
        import codecs

        try:
            codecs.lookup(merged["encoding"])
        except LookupError:
            raise ConfigError(
                f"'encoding' in {where} is not a known encoding: {merged['encoding']!r}"
            ) from None
    return DatasetConfig(
        **{k: v for k, v in merged.items() if k not in ("columns", "labels")},
        columns=tuple(sorted(columns.items())),
        labels=tuple(sorted(labels.items())),
    )


def _infer_format(p: Path, where: str) -> str:
    suffixes = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".txt": "tsv",
        ".jsonl": "json",
        ".json": "json",
        ".parquet": "parquet",
    }
    fmt = suffixes.get(Path(p).suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"{where}: cannot tell the format of {p}; add format = one of {', '.join(FORMATS)}"
        )
    return fmt


def _model(raw: dict, path: Path) -> ModelConfig:
    from bench.models import PER_TARGET, resolve

    raw = dict(raw)
    name = raw.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f'[model] of {path} needs name = "<registered model or module:factory>"')
    spec = resolve(name, where=f"'name' in [model] of {path}")
    sig = inspect.signature(spec.factory)
    accepted = {
        p.name: p
        for p in sig.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "random_state"
    }
    for key, value in raw.items():
        if key == PER_TARGET:
            if not isinstance(value, bool):
                raise ConfigError(
                    f"'{PER_TARGET}' in [model] of {path} must be true or false; got {value!r}"
                )
            continue
        if key not in accepted:
            raise ConfigError(
                f"No such key {key!r} in [model] of {path}{did_you_mean(key, accepted)} "
                f"(parameters of {name}: {', '.join([*accepted, PER_TARGET])})"
            )
        default = accepted[key].default
        if default is not inspect.Parameter.empty and default is not None:
            _check_param_type(key, value, default, path)
    return ModelConfig(name=name, params=tuple(sorted(raw.items())))


def _check_param_type(key: str, value: Any, default: Any, path: Path) -> None:
    kind = type(default)
    ok = (
        isinstance(value, bool)
        if kind is bool
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is float
        else isinstance(value, int) and not isinstance(value, bool)
        if kind is int
        else isinstance(value, (list, tuple))
        if kind in (list, tuple)
        else isinstance(value, kind)
    )
    if not ok:
        expected = "a list" if kind in (list, tuple) else kind.__name__
        raise ConfigError(
            f"{key!r} in [model] of {path} must be {expected} like the default "
            f"{default!r}; got {value!r}"
        )


def _protocol(raw: dict, path: Path, has_test: bool) -> ProtocolConfig:
    merged = _merge(DEFAULTS["protocol"], raw)
    if has_test and merged["kind"] != "split":
        raise ConfigError(
            f'[test] of {path} needs kind = "split" in [protocol] (got {merged["kind"]!r}); '
            "a separate test set is a fixed split"
        )
    if merged["kind"] == "leave_one_group_out":
        merged["n_repeats"] = 1
    return ProtocolConfig(**merged)


def _metrics(raw: dict, path: Path, task: str) -> MetricsConfig:
    merged = _merge(DEFAULTS["metrics"], raw)
    labels = TASKS[task].labels
    subset = [lab for lab in merged["f_avg_labels"] if lab in labels]
    for lab in merged["f_avg_labels"]:
        if lab not in LABELS and lab not in labels:
            raise ConfigError(
                f"'f_avg_labels' in [metrics] of {path} has unknown label {lab!r}"
                f"{did_you_mean(str(lab), labels)} (labels of task {task!r}: {', '.join(labels)})"
            )
    return MetricsConfig(
        primary=merged["primary"],
        f_avg_labels=tuple(subset or labels),
        bootstrap=merged["bootstrap"],
        ci=merged["ci"],
    )


# ---------------------------------------------------------------------------- the entry
def load_config(path: Path | str) -> Config:
    """Read, merge and validate one config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    raw = _merge(DEFAULTS, _load_layer(path, ()))
    if "model" not in raw:
        raise ConfigError(f'{path}: no [model] table; add [model] with name = "majority"')
    task = raw["task"]
    test = _dataset(raw["test"], "test", path) if "test" in raw else None
    return Config(
        name=raw.get("name") or path.stem,
        path=path.resolve(),
        description=raw.get("description", ""),
        seed=raw["seed"],
        task=task,
        dataset=_dataset(raw.get("dataset", {}), "dataset", path),
        test=test,
        model=_model(raw["model"], path),
        protocol=_protocol(raw.get("protocol", {}), path, test is not None),
        metrics=_metrics(raw.get("metrics", {}), path, task),
        resolved=raw,
    )


def discover(targets: list[Path]) -> list[Path]:
    """Config files named by ``targets``: files, or the ``*.toml`` directly in a folder.

    Subfolders are not searched (``configs/semeval2016/`` needs its data; name it to run
    it). Files whose name starts with ``_`` are shared bases, not experiments.
    """
    found: list[Path] = []
    for target in targets:
        target = Path(target)
        if target.is_dir():
            found += sorted(p for p in target.glob("*.toml") if not p.name.startswith("_"))
        elif target.is_file():
            found.append(target)
        else:
            raise ConfigError(f"{target}: no such config file or folder")
    if not found:
        raise ConfigError(f"no configs (*.toml) in {', '.join(map(str, targets))}")
    return found


def load_configs(targets: list[Path]) -> list[Config]:
    configs = [load_config(p) for p in discover(targets)]
    seen: dict[str, Path] = {}
    for cfg in configs:
        if cfg.name in seen:
            raise ConfigError(
                f"{cfg.path}: config name {cfg.name!r} is also used by {seen[cfg.name]}; "
                'names must be unique (set name = "...")'
            )
        seen[cfg.name] = cfg.path
    return configs


def as_dict(cfg: Config, relative_to: Path | None) -> dict:
    """The resolved config as plain data; paths relative to ``relative_to``, or left out
    when it is None (what the experiment is, wherever its files live)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return os.path.relpath(value, relative_to)
        if isinstance(value, dict):
            return {
                k: plain(v)
                for k, v in value.items()
                if not (relative_to is None and isinstance(v, Path))
            }
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    data = {"name": cfg.name, "description": cfg.description, "seed": cfg.seed, "task": cfg.task}
    for section, value in (("dataset", cfg.dataset), ("test", cfg.test)):
        if value is None:
            continue
        d = {k: getattr(value, k) for k in _DATASET if getattr(value, k, None) is not None}
        d["columns"], d["labels"] = dict(value.columns), dict(value.labels)
        data[section] = {k: v for k, v in d.items() if v != {}}
    data["model"] = {"name": cfg.model.name, **dict(cfg.model.params)}
    data["protocol"] = {k: getattr(cfg.protocol, k) for k in _PROTOCOL}
    data["metrics"] = {k: getattr(cfg.metrics, k) for k in _METRICS}
    return plain(data)


def to_toml(cfg: Config, relative_to: Path) -> str:
    """The resolved config (defaults merged, no ``extends``) as TOML that can be re-run."""
    import tomli_w

    return tomli_w.dumps(as_dict(cfg, relative_to))
