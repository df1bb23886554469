"""The model registry: ``ModelSpec``, ``register`` and ``resolve``.

A model is a factory that returns a scikit-learn estimator taking a DataFrame with the
columns ``text`` and ``target`` and predicting label strings. Register one with
``@register("name", "what it is", constraints={...})``; a config may instead name
``module:factory`` (imported by ``bench.models.plugins``). Factory parameters are
keyword-only; their defaults give configs their types, and ``constraints`` their allowed
values (``bench.constraints``, checked in ``check_params``). A factory that takes
``random_state`` gets one derived from the config's seed and the fold; one that takes
``labels`` gets the task's labels, so it can predict a label that no training item of the
fold has; one that takes ``context`` gets a ``FitContext`` (which view, repeat and fold it
is fitted for, and the runs folder). A model that can predict without training items
takes a ``trained`` parameter: with ``trained = false`` every item is a test item and
``fit`` gets no rows (``bench.views.zero_shot``). scikit-learn is imported inside the
factories, so the registry loads instantly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.constraints import FilePath, Rule, check
from bench.errors import ConfigError, ModelError, all_of, did_you_mean
from bench.models.plugins import (
    PluginExit,
    folder_sources,
    import_plugin,
    on_path,
    plugin_code,
)

PER_TARGET = "per_target"  # a parameter every model takes; see ModelSpec.build
TRAINED = "trained"  # the parameter of a model that can be untrained; see ModelSpec.trained
INJECTED = ("random_state", "labels", "context")  # given by the runner, never by a config


@dataclass(frozen=True)
class FitContext:
    """Where a model is fitted, for a factory that takes ``context``: the view, repeat
    and fold (a predictions file made per fold is looked up by them) and the runs folder
    (beside which a response cache lives), None outside a run."""

    view: str = ""
    repeat: int = 0
    fold: int = 0
    runs: Path | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A model: its factory, what it is, the allowed values of its parameters, and the
    packages whose version is part of what it computes.

    ``where`` (for messages) and ``folder`` (where relative paths and plug-in modules are
    found: the config's folder) are set by ``resolve``.
    """

    name: str
    factory: Callable
    description: str
    constraints: Mapping[str, Rule] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    module_files: tuple[Path, ...] = ()  # a plug-in's source and the modules beside it
    where: str = ""
    folder: Path | None = None
    # whether the model learns from training items, from its (located) parameters, when
    # that is not simply its ``trained`` parameter (a predictions file made per fold)
    trained_rule: Callable[[Mapping[str, Any]], bool] | None = None
    # checks across parameters, at config load: (located parameters, config file)
    validate: Callable[[Mapping[str, Any], str], None] | None = None

    # parameters -----------------------------------------------------------------------
    def parameters(self) -> dict[str, Any]:
        """The config keys: each parameter and its default (``inspect.Parameter.empty``
        when it has none), ``per_target`` included."""
        sig = inspect.signature(self.factory)
        out = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in INJECTED
        }
        out[PER_TARGET] = False
        return out

    def check_params(self, params: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``params`` (a config's [model] table less ``name``) checked against the
        factory's parameters, their types (those of the defaults) and their allowed
        values; ``where`` is the config file. Raises ConfigError."""
        accepted = self.parameters()
        found: list[ConfigError] = []  # every bad parameter, not only the first
        for key, value in params.items():
            try:
                self._check_param(key, value, accepted, where)
            except ConfigError as err:
                found.append(err)
        if found:
            raise all_of(found, f"[model] of {where}: {{n}} errors")
        if self.validate is not None:
            self.validate(self._with_paths(params), where)
        return dict(params)

    def _check_param(self, key: str, value: Any, accepted: Mapping[str, Any], where: str) -> None:
        """One parameter of ``check_params``."""
        if key == TRAINED and key not in accepted:
            raise ConfigError(
                f"{key!r} in [model] of {where}: model {self.name!r} learns from its "
                "training items; trained = false is for a model that predicts without "
                "them (predictions, openai_chat, or a plug-in whose factory takes trained)"
            )
        if key not in accepted:
            raise ConfigError(
                f"No such key {key!r} in [model] of {where}{did_you_mean(key, accepted)} "
                f"(parameters of {self.name}: {', '.join(accepted)})"
            )
        at = f"{key!r} in [model] of {where}"
        if key in (PER_TARGET, TRAINED):
            if not isinstance(value, bool):
                raise ConfigError(f"{at} must be true or false; got {value!r}")
            if key == PER_TARGET and value and TRAINED in accepted:
                raise ConfigError(
                    f"{at}: model {self.name!r} answers item by item (it may learn "
                    "nothing); one copy per target changes nothing; remove per_target"
                )
            return
        default = accepted[key]
        if default is not inspect.Parameter.empty and default is not None:
            _check_type(at, value, default)
        rule = self.constraints.get(key)
        if rule is not None:
            check(value, rule, at, folder=self.folder)

    def trained(self, params: Mapping[str, Any]) -> bool:
        """Whether the model learns from each fold's training items: always, unless it
        takes a ``trained`` parameter (then its value; a None default is decided by the
        model's ``trained_rule``). Raises BenchError when the parameters contradict."""
        accepted = self.parameters()
        if TRAINED not in accepted:
            return True
        if self.trained_rule is not None:
            return bool(self.trained_rule(self._with_paths(params)))
        value = params.get(TRAINED, accepted[TRAINED])
        return True if value is None or value is inspect.Parameter.empty else bool(value)

    def _with_paths(self, params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for key, rule in self.constraints.items():
            if isinstance(rule, FilePath) and out.get(key):
                out[key] = str(rule.locate(out[key], self.folder))
        return out

    # building -------------------------------------------------------------------------
    def build(
        self,
        params: Mapping[str, Any],
        random_state: int | None = None,
        labels: Sequence[str] | None = None,
        context: FitContext | None = None,
    ):
        """The estimator for ``params``. ``random_state``, ``labels`` (the task's
        labels) and ``context`` go to a factory that takes them. ``per_target = true``,
        accepted by every model, fits one copy of it per target (see
        ``bench.models.per_target``). Raises ModelError when the factory fails or returns
        something that is not an estimator.
        """
        kwargs = self._with_paths(params)
        per_target = kwargs.pop(PER_TARGET, False)
        sig = inspect.signature(self.factory).parameters
        if "random_state" in sig:
            kwargs["random_state"] = random_state
        if "labels" in sig:
            kwargs["labels"] = None if labels is None else tuple(labels)
        if "context" in sig:
            kwargs["context"] = context or FitContext()
        where = f"{self.where}: " if self.where else ""
        try:
            with on_path(self.folder), plugin_code(f"{where}the factory of model {self.name!r}"):
                est = self.factory(**kwargs)
        except PluginExit:
            raise
        except Exception as exc:
            raise ModelError(
                f"{where}model {self.name!r} could not be built from {dict(params)} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if not (callable(getattr(est, "fit", None)) and callable(getattr(est, "predict", None))):
            raise ModelError(
                f"{where}model {self.name!r} returned {est!r} ({type(est).__name__}), "
                "not an estimator with fit and predict"
            )
        if per_target:
            from bench.models.per_target import PerTargetClassifier

            est = PerTargetClassifier(est)
        return est

    # what a run depends on ------------------------------------------------------------
    def source_files(self, params: Mapping[str, Any]) -> tuple[Path, ...]:
        """Files besides the bench package that the model's predictions depend on: a
        plug-in's module files (with the modules beside it) and every file parameter (a
        lexicon; its default file when the parameter is left empty). Hash them to tell when
        a run is stale."""
        files = list(self.module_files)
        for key, rule in self.constraints.items():
            if isinstance(rule, FilePath) and rule.read:
                path = rule.locate(params.get(key) or "", self.folder)
                if path is not None:
                    files.append(path.resolve())
        return tuple(dict.fromkeys(files))

    def fingerprint(self) -> dict[str, str | None]:
        """The versions of the packages the model's numbers come from (a pretrained model
        shipped in a package changes with its version)."""
        from importlib.metadata import PackageNotFoundError, version

        out: dict[str, str | None] = {}
        for pkg in self.packages:
            try:
                out[pkg] = version(pkg)
            except PackageNotFoundError:
                out[pkg] = None
        return out


def _check_type(where: str, value: Any, default: Any) -> None:
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
        raise ConfigError(f"{where} must be {expected} like the default {default!r}; got {value!r}")


REGISTRY: dict[str, ModelSpec] = {}


def register(
    name: str,
    description: str,
    *,
    constraints: Mapping[str, Rule] | None = None,
    packages: Sequence[str] = (),
    trained: Callable[[Mapping[str, Any]], bool] | None = None,
    validate: Callable[[Mapping[str, Any], str], None] | None = None,
) -> Callable[[Callable], Callable]:
    """Add a factory to the registry under ``name``; a duplicate name is an error.
    ``constraints`` gives allowed values per parameter; ``packages`` the packages whose
    version is part of the model (see ``ModelSpec.fingerprint``); ``trained`` and
    ``validate`` become the spec's ``trained_rule`` and ``validate``."""

    def deco(factory: Callable) -> Callable:
        if name in REGISTRY:
            raise ModelError(
                f"model {name!r} is registered twice ({REGISTRY[name].factory} and {factory})"
            )
        REGISTRY[name] = ModelSpec(
            name,
            factory,
            description,
            dict(constraints or {}),
            tuple(packages),
            trained_rule=trained,
            validate=validate,
        )
        return factory

    return deco


def resolve(name: str, where: str = "model", search_path: Path | None = None) -> ModelSpec:
    """A registered name, or ``module:factory`` importable from the environment or from
    ``search_path`` (the config's folder). ``where`` prefixes error messages."""
    folder = Path(search_path).resolve() if search_path is not None else None
    if name in REGISTRY:
        return replace(REGISTRY[name], where=where, folder=folder)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        found = "importable from the environment" + (
            f" or from the config's folder {folder}" if folder is not None else ""
        )
        try:
            module = import_plugin(module_name, folder)
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") from None
        except ModuleNotFoundError as exc:
            if exc.name == module_name or module_name.startswith(f"{exc.name}."):
                raise ModelError(
                    f"{where}: cannot import {module_name!r}: no such module (a plug-in "
                    f"module must be {found})"
                ) from None
            raise ModelError(
                f"{where}: importing {module_name!r} failed ({type(exc).__name__}: {exc})"
            ) from None
        except Exception as exc:
            raise ModelError(
                f"{where}: importing {module_name!r} failed ({type(exc).__name__}: {exc})"
            ) from None
        factory = getattr(module, attr, None)
        if not callable(factory):
            raise ModelError(f"{where}: {module_name!r} has no callable {attr!r}")
        spec = next((s for s in REGISTRY.values() if s.factory is factory), None)
        if spec is not None:
            return replace(spec, where=where, folder=folder)
        file = Path(module.__file__).resolve() if getattr(module, "__file__", None) else None
        if file is not None and folder is not None and file.is_relative_to(folder):
            files = folder_sources(folder)  # the plug-in and the modules beside it
        else:
            files = (file,) if file is not None else ()
        return ModelSpec(
            name,
            factory,
            factory.__doc__ or "",
            module_files=files,
            where=where,
            folder=folder,
        )
    hint = did_you_mean(name, REGISTRY)
    raise ModelError(
        f"{where}: unknown model {name!r}{hint} (available: {', '.join(REGISTRY)}; "
        "or give module:factory)"
    )
