"""TOML configs -> one frozen ``Config``. All validation lives here, at the edge.

A config may ``extends = "other.toml"`` (resolved against its own folder), or a packaged
config by name (``"stance-bench:defaults"``, ``bench.project``); tables are merged key by
key, the extending file winning, except that a ``[model]`` table, or a
``[dataset]``/``[test]`` table that sets ``source`` (or ``path``, which means a file),
replaces the inherited one. Relative paths resolve against the folder of the file that
wrote them, or, in a file that says ``relative_to = "project"`` (a resolved config), against
its project root; ``${VAR}`` in a path is taken from the environment. Every table is checked
against the dataclass fields of ``bench.config.schema``. Parsing is pure: nothing is
written and nothing is imported beyond what a model reference needs.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from bench import project, specs
from bench.config.schema import (
    COLUMN_ROLES,
    FORMATS,
    NAME_MAX,
    NAME_PATTERN,
    SECTIONS,
    SELECT,
    SOURCE_KEYS,
    Config,
    DatasetConfig,
    MetricsConfig,
    ModelConfig,
    ProtocolConfig,
    SweepInfo,
    ViewsConfig,
)
from bench.constraints import Interval, OneOf, check, check_keys
from bench.errors import (
    BenchError,
    ConfigError,
    ModelError,
    all_of,
    did_you_mean,
    each_message,
    shown,
)
from bench.io import tomllib
from bench.labels import DROP, LABELS, TASKS

_SWEEP_BASE = "_sweep_base"  # not a TOML key: the folder a layer's [sweep] paths are relative to
_TOP = (
    "name",
    "description",
    "extends",
    "relative_to",
    "seed",
    "task",
    "timeout",
    "plugin_dir",
    "model",
    "sweep",
    "views",
    *SECTIONS,
)
# what relative paths in a file are relative to: its own folder, or its project root
RELATIVE_TO = ("file", "project")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(NAME_PATTERN)
MAX_EXTENDS = 32  # how deep a chain of 'extends' may go
MAX_SWEEP = 10_000  # runs one [sweep] may expand into: each is a full run folder
BOM = b"\xef\xbb\xbf"
# Values of environment variables read through ${VAR} in a config path, by variable: an
# error message shows ${VAR} in their place (``spelled``), never the value (a token).
_EXPANDED: dict[str, str] = {}


# ------------------------------------------------------------------------------ values
def _expand(value: str, where: str) -> str:
    def sub(m: re.Match) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise ConfigError(f"{where} uses ${{{var}}}, which is not set; export {var}=...")
        if os.environ[var]:
            _EXPANDED[var] = os.environ[var]
        return os.environ[var]

    return _VAR.sub(sub, value)


def spelled(message: str) -> str:
    """``message`` with the value of every variable a config read through ${VAR} written
    back as ${VAR}, wherever it stands as a whole path part (a message names a path the
    value went into; it must not show the value, which may be a secret)."""
    for var, value in sorted(_EXPANDED.items(), key=lambda kv: -len(kv[1])):
        edge = r"[/\\\s'\"(),:;=]"
        spelling = ("${" + var + "}").replace("\\", "\\\\")  # a replacement template
        message = re.sub(rf"(?:(?<={edge})|^){re.escape(value)}(?=$|{edge})", spelling, message)
    return message


def _kind(tp: Any) -> str:
    """The value kind of a schema field's type: str, int, float, bool, path, paths, strs,
    pairs (a TOML table stored as sorted pairs)."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        (tp,) = [a for a in args if a is not type(None)]
        args = typing.get_args(tp)
    if tp is Path:
        return "path"
    if typing.get_origin(tp) is tuple:
        inner = args[0]
        if inner is Path:
            return "paths"
        if typing.get_origin(inner) is tuple:
            return "pairs"
        return "strs"
    return {str: "str", int: "int", float: "float", bool: "bool"}[tp]


def _check(value: Any, kind: str, meta: Mapping, where: str, base: Path) -> Any:
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where} must be {expected}, got {value!r}")

    if kind == "str":
        if not isinstance(value, str):
            raise bad("a string")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
    elif kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
    elif kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise bad("a number")
        value = float(value)
    elif kind == "path":
        if not isinstance(value, str) or not value:
            raise bad("a path (string)")
        if project.is_packaged(value):
            raise ConfigError(
                f"{where} names {value!r}, a packaged resource; only 'seeds' "
                f"({project.SEEDS_NAME!r}) and 'extends' (\"stance-bench:NAME\") take one"
            )
        p = Path(_expand(value, where)).expanduser()
        return Path(os.path.normpath(p if p.is_absolute() else base / p))
    elif kind == "paths":  # one file, or a list read one after the other
        values = value if isinstance(value, list) else [value]
        if not values:
            raise bad("a path or a list of paths")
        return tuple(_check(v, "path", {}, where, base) for v in values)
    elif kind == "strs":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return tuple(value)
    elif kind == "pairs":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise bad('a table of strings, e.g. { key = "value" }')
        return tuple(sorted(value.items()))
    rule = meta.get("rule")
    if rule is not None:
        check(value, rule, where)
    return value


def _where(key: str, section: str, path: Path) -> str:
    return f"{key!r} in [{section}] of {path}" if section else f"{key!r} in {path}"


def _check_table(table: Any, cls: type, section: str, path: Path, base: Path) -> dict:
    """One TOML table checked against the fields of ``cls``: unknown keys and bad values
    are errors naming the file, the key and what is allowed."""
    if not isinstance(table, dict):
        raise ConfigError(f"[{section}] of {path} must be a table, got {table!r}")
    hints = typing.get_type_hints(cls)
    by_name = {f.name: f for f in fields(cls) if f.name not in ("params", "depends_on")}
    out = {}
    found: list[BenchError] = []  # every bad key of the table, not only the first
    for key, value in table.items():
        try:
            check_keys([key], by_name, f"[{section}] of {path}")
            f = by_name[key]
            where = _where(key, section, path)
            if key == "seeds" and isinstance(value, str) and project.is_packaged(value):
                out[key] = project.packaged_seeds(value, where)
                continue
            out[key] = _check(value, _kind(hints[key]), f.metadata, where, base)
        except ConfigError as err:
            found.append(err)
    if found:
        raise all_of(found, f"[{section}] of {path}: {{n}} errors")
    return out


# ------------------------------------------------------------------------------ layers
def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if data.startswith(BOM):
            raise ConfigError(
                f"{path}: starts with a byte order mark (BOM, bytes EF BB BF), which TOML "
                "does not allow; save the file as UTF-8 without BOM"
            )
        doc = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8; save the config as UTF-8") from None
    bad = _non_finite(doc)
    if bad:
        raise ConfigError(
            f"{path}: {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} inf or nan, which "
            "no setting takes (a config, its hash and metrics.json hold finite numbers "
            "only); write a finite number"
        )
    return doc


def _non_finite(value: Any, where: str = "") -> list[str]:
    """The dotted keys (``model.C``, ``sweep.model.C[1]``) of every inf or nan in a
    parsed TOML document: TOML writes them, JSON and the config hash do not."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [where]
    if isinstance(value, dict):
        return [b for k, v in value.items() for b in _non_finite(v, f"{where}.{k}" if where else k)]
    if isinstance(value, list):
        return [b for i, v in enumerate(value) for b in _non_finite(v, f"{where}[{i}]")]
    return []


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
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(
            f"{chain[0]}: 'extends' chains more than {MAX_EXTENDS} files deep (through "
            f"{chain[-1].name}); extend a shared base instead of a chain"
        )
    raw = _read_toml(path)
    relative_to = raw.pop("relative_to", "file")
    check(relative_to, OneOf(RELATIVE_TO), _where("relative_to", "", path))
    base = project.root_of(path) if relative_to == "project" else path.parent
    layer: dict[str, Any] = {}
    found: list[BenchError] = []  # every bad table and key of the file, not only the first
    for key, value in raw.items():
        try:
            check_keys([key], _TOP, str(path))
            _layer_key(layer, key, value, path, base)
        except ConfigError as err:
            found.append(err)
    if found:
        raise all_of(found, f"{path}: {{n}} config errors")
    if "sweep" in layer:
        layer[_SWEEP_BASE] = base
    if "extends" in layer:
        parent_path = layer.pop("extends")
        if parent_path.is_dir():
            raise ConfigError(
                f"'extends' in {path} names a folder ({parent_path}); name a .toml file"
            )
        if not parent_path.exists():
            raise ConfigError(
                f"'extends' in {path} names {parent_path}, which does not exist; fix the path "
                "(relative to the file that names it)"
            )
        layer = _merge(_load_layer(parent_path, (*chain, path)), layer)
    return layer


def _layer_key(layer: dict[str, Any], key: str, value: Any, path: Path, base: Path) -> None:
    """One top-level key of a config file, checked and set in ``layer``."""
    if key in SECTIONS:
        layer[key] = _check_table(value, SECTIONS[key], key, path, base)
        if key in ("dataset", "test") and "path" in value and "source" not in value:
            layer[key]["source"] = "file"  # a path means a file
        if key in ("dataset", "test") and "name" in layer[key]:
            layer[key]["name"] = _hub_name(layer[key]["name"], _where("name", key, path), base)
    elif key == "views":
        layer[key] = _views_table(value, path)
    elif key in ("model", "sweep"):
        if not isinstance(value, dict):
            raise ConfigError(f"[{key}] of {path} must be a table, got {value!r}")
        layer[key] = dict(value)
    elif key == "extends" and isinstance(value, str) and project.is_packaged(value):
        layer[key] = project.packaged_config(value, _where(key, "", path))
    elif key == "extends":
        layer[key] = _check(value, "path", {}, _where(key, "", path), base)
    else:
        tp = typing.get_type_hints(Config)[key]
        meta = next(f.metadata for f in fields(Config) if f.name == key)
        layer[key] = _check(value, _kind(tp), meta, _where(key, "", path), base)


def _hub_name(name: str, where: str, base: Path) -> str:
    """A hub dataset's ``name``: a local folder or file (one that exists beside the config,
    or one written as a path: ``./x``, ``../x``, ``/x``, ``~/x``) resolved against the
    folder of the file that wrote it, as every path is, never against the working folder;
    any other name is a hub id (``owner/dataset``) and stays as written."""
    expanded = Path(_expand(name, where)).expanduser()
    local = Path(os.path.normpath(expanded if expanded.is_absolute() else base / expanded))
    written_as_path = name.startswith(("./", "../", "/", "~", ".\\", "..\\")) or name in (".", "..")
    if local.exists():
        return str(local)
    if written_as_path or expanded.is_absolute():
        raise ConfigError(
            f"{where} names the local dataset {local}, which does not exist; fix the path "
            "(relative paths are relative to the config's folder), or name a hub dataset "
            'as "owner/dataset"'
        )
    return name


# ---------------------------------------------------------------------------- sections
def _views_table(table: Any, path: Path) -> dict[str, bool]:
    """``[views]``: a switch (true/false) per optional view of ``bench.views``."""
    from bench.views import OPTIONAL

    if not isinstance(table, dict):
        raise ConfigError(f"[views] of {path} must be a table, got {table!r}")
    check_keys(table, OPTIONAL, f"[views] of {path}")
    for key, value in table.items():
        if not isinstance(value, bool):
            raise ConfigError(f"{_where(key, 'views', path)} must be true or false, got {value!r}")
    return dict(table)


def _views(raw: dict[str, bool]) -> ViewsConfig:
    from bench.views import OPTIONAL, VIEWS

    return ViewsConfig(tuple((name, bool(raw.get(name, VIEWS[name].default))) for name in OPTIONAL))


def _dataset(raw: dict, section: str, path: Path) -> DatasetConfig:
    merged = dict(raw)
    where = f"[{section}] of {path}"
    source = merged.setdefault("source", "hub" if "name" in merged else "seed")
    stray = [k for k in merged if k not in SOURCE_KEYS[source]]
    if stray:
        fix = (
            'set source = "file" (or "hub") to read your own data'
            if source == "seed"
            else f"remove them (source is {source!r})"
        )
        verb = "does" if len(stray) == 1 else "do"
        raise ConfigError(
            f"{where}: {', '.join(map(repr, stray))} {verb} not apply to source {source!r}; {fix}"
        )
    if source == "seed":  # the packaged seeds, derived into the project's data/derived
        merged.setdefault("seeds", project.SEEDS)
        merged.setdefault("data_dir", project.root_of(path) / specs.DEFAULT_DATA)
    if source == "file":
        if "path" not in merged:
            raise ConfigError(f"{where}: source 'file' needs path = \"data.csv\"")
        if merged.get("format") is None:  # told by the file's suffix only when not given
            merged["format"] = _infer_format(merged["path"][0], where)
    if source == "hub" and "name" not in merged:
        raise ConfigError(f"{where}: source 'hub' needs name = \"owner/dataset\"")
    found = [  # the table's independent checks, all told at once
        ConfigError(
            f"No such key {role!r} in [{section}.columns] of {path}"
            f"{did_you_mean(role, COLUMN_ROLES)} (allowed: {', '.join(COLUMN_ROLES)})"
        )
        for role, _ in merged.get("columns", ())
        if role not in COLUMN_ROLES
    ]
    found += [
        ConfigError(
            f"{src!r} in [{section}.labels] of {path} must map to one of "
            f"{', '.join(LABELS)} or {DROP!r}; got {ours!r}{did_you_mean(str(ours), LABELS)}"
        )
        for src, ours in merged.get("labels", ())
        if ours not in (*LABELS, DROP)
    ]
    if "delimiter" in merged and len(merged["delimiter"]) != 1:
        found.append(ConfigError(f"'delimiter' in {where} must be one character"))
    if "encoding" in merged:
        try:  # a text encoding: rot13, base64 or zip are codecs that open() refuses
            known = getattr(codecs.lookup(merged["encoding"]), "_is_text_encoding", True)
        except LookupError:
            known = False
        if not known:
            found.append(
                ConfigError(
                    f"'encoding' in {where} is not a known text encoding: "
                    f'{merged["encoding"]!r}; name one such as "utf-8", "cp1252" or "latin-1"'
                )
            )
    if found:
        raise all_of(found, f"{where}: {{n}} errors")
    return DatasetConfig(**merged)


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


def _model(raw: dict, path: Path, folder: Path) -> tuple[ModelConfig, tuple[Path, ...]]:
    from bench.models import resolve

    raw = dict(raw)
    name = raw.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f'[model] of {path} needs name = "<registered model or module:factory>"')
    spec = resolve(name, where=f"'name' in [model] of {path}", search_path=folder)
    params = spec.check_params(raw, str(path))
    return ModelConfig(name=name, params=tuple(sorted(params.items()))), spec.source_files(params)


def _protocol(raw: dict, path: Path, has_test: bool) -> ProtocolConfig:
    proto = ProtocolConfig(**raw)
    if has_test and proto.kind != "split":
        raise ConfigError(
            f'[test] of {path} needs kind = "split" in [protocol] (got {proto.kind!r}); '
            "a separate test set is a fixed split"
        )
    if proto.kind == "leave_one_group_out" and proto.n_repeats != 1:
        from dataclasses import replace

        proto = replace(proto, n_repeats=1)  # one fold per group: nothing to repeat
    return proto


def _check_f_avg(cfg: Config) -> None:
    wanted = cfg.metrics.f_avg_labels
    if wanted is None:
        return
    if not wanted:
        raise ConfigError(f"'f_avg_labels' in [metrics] of {cfg.path} must name at least one label")
    missing = [lab for lab in wanted if lab not in cfg.labels]
    if missing:
        raise ConfigError(
            f"'f_avg_labels' in [metrics] of {cfg.path} has {', '.join(map(repr, missing))}, "
            f"which task {cfg.task!r} on this data cannot hold (its labels: "
            f"{', '.join(cfg.labels)}){did_you_mean(str(missing[0]), cfg.labels)}"
        )


# ---------------------------------------------------------------------------- the entry
def _build(raw: dict, path: Path, name: str, sweep: SweepInfo | None = None) -> Config:
    if "model" not in raw:
        raise ConfigError(f'{path}: no [model] table; add [model] with name = "majority"')
    found: list[BenchError] = []  # the errors of every part, not only the first's

    def part(build: Callable[..., Any], *args: Any) -> Any:
        try:
            return build(*args)
        except (ConfigError, ModelError) as err:
            found.append(err)
            return None

    part(_check_name, name, path, sweep)
    test = part(_dataset, raw["test"], "test", path) if "test" in raw else None
    dataset = part(_dataset, raw.get("dataset", {}), "dataset", path)
    protocol = part(_protocol, raw.get("protocol", {}), path, "test" in raw)
    plugin_dir = raw.get("plugin_dir")
    if plugin_dir is not None and not plugin_dir.is_dir():
        found.append(ConfigError(f"'plugin_dir' in {path}: {plugin_dir} is not a folder"))
    built = part(_model, raw["model"], path, plugin_dir or path.parent)
    if found:
        raise all_of(found, f"{path}: {{n}} config errors")
    model, depends_on = built
    cfg = Config(
        name=name,
        path=path.resolve(),
        description=raw.get("description", ""),
        seed=raw.get("seed", 0),
        task=raw.get("task", "joint"),
        dataset=dataset,
        test=test,
        model=model,
        protocol=protocol,
        views=_views(raw.get("views", {})),
        metrics=MetricsConfig(**raw.get("metrics", {})),
        timeout=raw.get("timeout"),
        depends_on=depends_on,
        plugin_dir=plugin_dir,
        sweep=sweep,
    )
    _check_f_avg(cfg)
    from bench.views import VIEWS

    seeds = [ds for ds in (cfg.dataset, cfg.test) if ds is not None and ds.source == "seed"]
    for name, on in cfg.views.switches:
        if on and VIEWS[name].seed_only and not seeds:
            raise ConfigError(
                f"{name!r} in [views] of {path} needs the seed dataset (it is derived from "
                f"its articles' annotations) as [dataset] or [test]; set {name} = false"
            )
    return cfg


def _check_name(name: str, path: Path, sweep: SweepInfo | None) -> None:
    """A config's name is the folder of its run under --out (and of its reference entry):
    a safe folder name, short enough for the staging names beside it, and not the name
    of a file a run writes there."""
    how = 'set name = "..." or rename the file'
    if sweep is not None:
        how = "sweep fewer keys, or give the config a shorter name"
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"config name {shown(name)} of {path} is not a safe folder name (letters, digits, "
            f"_ - . and no leading dot); {how}"
        )
    if len(name) > NAME_MAX:
        raise ConfigError(
            f"'name' of {path} ({shown(name, 40)}) is {len(name)} characters, too long for a "
            f"folder name (at most {NAME_MAX} characters); {how}"
        )
    taken = (specs.LEADERBOARD_MD, specs.LEADERBOARD_CSV, specs.ENVIRONMENT)
    if name in taken or name.endswith(specs.SWEEP_SUFFIXES):
        raise ConfigError(
            f"config name {name!r} of {path} is the name of a file stance-bench writes beside "
            f"the run folders ({', '.join(taken)}, *{', *'.join(specs.SWEEP_SUFFIXES)}); {how}"
        )


def load_config(path: Path | str) -> Config:
    """Read, merge and validate one config file (a sweep: its first setting)."""
    return load_runs(path)[0]


def _slug(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "none"  # [] or "": none


def _sweep(raw: dict, path: Path, base: Path) -> tuple[list[tuple[str, list, list]], str, int, str]:
    """The swept keys with their values as written and as checked (a ``dataset.path``
    made absolute against ``base`` as in its table, a ``columns`` table made pairs), the
    selection mode, the inner folds and the view inner selection selects on."""
    from bench.views import SELECT_ON

    table = dict(raw)
    select = table.pop("select", "same_folds")
    check(select, OneOf(SELECT), f"'select' in [sweep] of {path}")
    inner = table.pop("inner_splits", 3)
    check(inner, Interval(2, None, integer=True), f"'inner_splits' in [sweep] of {path}")
    select_on = table.pop("select_on", next(iter(SELECT_ON)))
    check(select_on, OneOf(tuple(SELECT_ON)), f"'select_on' in [sweep] of {path}")
    sizes = [len(v) if isinstance(v, list) else 1 for v in table.values()]
    n = math.prod(sizes) + (select == "inner_cv")
    if n > MAX_SWEEP:  # counted before any value is checked or any run made
        more = " + 1 (inner_cv)" if select == "inner_cv" else ""
        raise ConfigError(
            f"[sweep] of {path} expands into {n:,} runs ({' x '.join(map(str, sizes))}{more}), "
            f"more than the {MAX_SWEEP:,} a sweep may hold; sweep fewer values"
        )
    axes = []
    for key, values in table.items():
        section, _, field_name = key.partition(".")
        if section not in ("model", "views", *SECTIONS) or not field_name:
            raise ConfigError(
                f"{key!r} in [sweep] of {path} must name a key as section.key, e.g. "
                '"model.C" = [0.1, 1, 10]'
            )
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{key!r} in [sweep] of {path} must be a non-empty list of values")
        checked = []
        for v in values:  # checked like the same key in its table, and set as checked
            try:
                checked.append(_swept_value(section, field_name, v, path, base))
            except ConfigError as err:  # the value is in [sweep], not in the table it names
                raise ConfigError(f"[sweep] of {path}, {key!r} = {shown(v)}: {err}") from None
        axes.append((key, values, checked))
    if not axes:
        raise ConfigError(f'[sweep] of {path} sweeps nothing; add e.g. "model.C" = [0.1, 1]')
    return axes, select, inner, select_on


def _swept_value(section: str, field_name: str, value: Any, path: Path, base: Path) -> Any:
    """One value of a swept key, checked and read as the same key in its table."""
    if section in SECTIONS:
        one = _check_table({field_name: value}, SECTIONS[section], section, path, base)
        if field_name == "name" and section in ("dataset", "test"):
            one["name"] = _hub_name(one["name"], _where("name", section, path), base)
        return one[field_name]
    if section == "views":
        return _views_table({field_name: value}, path)[field_name]
    return value


def load_runs(path: Path | str) -> list[Config]:
    """The runs one config file describes: itself, or one run per combination of its
    ``[sweep]`` values (named ``<name>.<key>-<value>...``), plus, with ``select =
    "inner_cv"``, a ``<name>.inner_cv`` run that picks the setting inside each training
    fold and is scored on the outer folds."""
    import itertools

    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; name a config file or run the folder")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    raw = _load_layer(path, ())
    name = raw.get("name") or path.stem
    if "sweep" not in raw:
        return [_build(raw, path, name)]
    # swept paths are relative to the file that holds [sweep] (maybe a base it extends)
    axes, select, inner, select_on = _sweep(raw.pop("sweep"), path, raw.pop(_SWEEP_BASE))
    keys = tuple(k for k, _, _ in axes)
    runs = []
    failed: dict[str, list[str]] = {}  # message -> the settings it came from
    settings = list(itertools.product(*(values for _, values, _ in axes)))
    as_set = list(itertools.product(*(checked for _, _, checked in axes)))
    for combo, set_to in zip(settings, as_set, strict=True):
        one = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
        for key, value in zip(keys, set_to, strict=True):
            section, _, field_name = key.partition(".")
            if section in ("dataset", "test") and field_name == "path":
                if one.get(section, {}).get("source", "file") != "file":
                    one[section] = {}  # a path replaces a seed or hub table, as in a layer
                one.setdefault(section, {})["source"] = "file"  # a path means a file
            one.setdefault(section, {})[field_name] = value
        suffix = ".".join(
            f"{k.partition('.')[2]}-{_slug(v)}" for k, v in zip(keys, combo, strict=True)
        )
        info = SweepInfo(name, keys, tuple(zip(keys, combo, strict=True)), select)
        try:
            runs.append(_build(one, path, f"{name}.{suffix}", info))
        except (ConfigError, ModelError) as err:
            setting = ", ".join(f"{k!r} = {shown(v)}" for k, v in zip(keys, combo, strict=True))
            for message in each_message([err]):
                failed.setdefault(message, []).append(setting)
    if failed:  # an error of every setting is the config's; one of some is theirs
        lines = [
            m if len(where) == len(settings) else f"[sweep] of {path}, {'; '.join(where)}: {m}"
            for m, where in failed.items()
        ]
        raise all_of([ConfigError(line) for line in lines], f"{path}: {{n}} config errors")
    if select == "inner_cv":
        from bench.views import SELECT_ON

        if any(not k.startswith("model.") for k in keys):
            raise ConfigError(
                f'[sweep] of {path}: select = "inner_cv" can choose model parameters only '
                f"(got {', '.join(k for k in keys if not k.startswith('model.'))})"
            )
        model = dict(raw["model"])
        grid = [
            {k.partition(".")[2]: v for k, v in zip(keys, combo, strict=True)} for combo in settings
        ]
        selected = {k: v for k, v in raw.items() if k != "model"}
        selected["model"] = {
            "name": "inner_cv",
            "model": model.pop("name"),
            "fixed": model,
            "grid": grid,
            "inner_splits": inner,
            "inner_group_by": SELECT_ON[select_on],
            "metric": raw.get("metrics", {}).get("primary", "macro_f1"),
            "f_avg_labels": list(
                raw.get("metrics", {}).get("f_avg_labels")
                or TASKS[raw.get("task", "joint")].f_avg_labels
            ),
        }
        info = SweepInfo(name, keys, (), select, select_on)
        runs.append(_build(selected, path, f"{name}.inner_cv", info))
    return runs


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
    """Every run of the config files ``targets`` name; the errors of all the files at
    once (a folder of configs with three broken ones says all three)."""
    configs: list[Config] = []
    found: list[BenchError] = []
    for p in discover(targets):
        try:
            configs.extend(load_runs(p))
        except (ConfigError, ModelError) as err:
            found.append(err)
    if len(found) == 1:  # one broken file: its own message, which names it
        raise found[0]
    if found:  # (files that extend one broken base repeat its errors: told once)
        raise all_of(found, "{n} config errors")
    seen: dict[str, Path] = {}
    for cfg in configs:
        if cfg.name in seen and cfg.sweep is not None and seen[cfg.name] == cfg.path:
            raise ConfigError(
                f"[sweep] of {cfg.path}: two settings give the run name {cfg.name!r} (names "
                "keep letters, digits, '.', '-' and '_' of each value); sweep values that "
                "differ in those"
            )
        if cfg.name in seen:
            raise ConfigError(
                f"{cfg.path}: config name {cfg.name!r} is also used by {seen[cfg.name]}; "
                'names must be unique (set name = "...")'
            )
        seen[cfg.name] = cfg.path
    return configs
