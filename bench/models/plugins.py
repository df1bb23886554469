"""Plug-in models: ``module:factory`` imported from a config's folder, as it is now.

A long-lived process (a Dask worker, a reused pool worker, a test session) holds the
plug-ins of one config folder at a time: a module from another folder, or an edited one,
is dropped with the rest of its folder's and imported again. Imports take one lock: a Dask
worker fits folds in several threads, and ``sys.path`` and ``sys.modules`` are the whole
process's.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import signals
from bench.errors import ModelError

# --------------------------------------------------------------------- plug-in code
# stdout carries stance-bench's own output only (a leaderboard, the check's Markdown for a
# PR comment); what plug-in code prints goes to stderr. Fits run in several threads on a
# Dask worker: the redirection is counted, made by the first and undone by the last.
_REDIRECT_LOCK = threading.Lock()
_redirect: dict[str, Any] = {"depth": 0, "saved_fd": None, "saved_stdout": None}


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """sys.stdout and file descriptor 1 point at stderr for the block (what a C library
    writes to fd 1 moves too)."""
    import os

    with _REDIRECT_LOCK:
        if _redirect["depth"] == 0:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            _redirect["saved_stdout"] = sys.stdout
            try:
                saved = os.dup(1)
                os.dup2(2, 1)
                _redirect["saved_fd"] = saved
            except OSError:  # no fd 1 or 2 (an embedding host): Python's stdout only
                _redirect["saved_fd"] = None
            sys.stdout = sys.stderr
        _redirect["depth"] += 1
    try:
        yield
    finally:
        with _REDIRECT_LOCK:
            _redirect["depth"] -= 1
            if _redirect["depth"] == 0:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                sys.stdout = _redirect["saved_stdout"]
                saved = _redirect["saved_fd"]
                if saved is not None:
                    os.dup2(saved, 1)
                    os.close(saved)


class PluginExit(ModelError):
    """Model code that tried to end the process (``sys.exit``, its own KeyboardInterrupt)."""


@contextlib.contextmanager
def plugin_code(who: str) -> Iterator[None]:
    """Run model code (a plug-in's import, a factory, fit and predict): what it prints goes
    to stderr, and an exit is a failure of the model, not the end of stance-bench. A
    ``SystemExit`` (``sys.exit``, ``exit()``), and a ``KeyboardInterrupt`` the code raised
    itself (no Ctrl-C or SIGTERM behind it, see ``bench.signals``), become a ModelError
    whose message starts with ``who`` (what ran, with its config and fold)."""
    with _stdout_to_stderr():
        try:
            yield
        except SystemExit as exc:
            raise PluginExit(
                f"{who} called sys.exit({exc.code!r}) (SystemExit); model code must raise "
                "an exception when it fails, never exit the process"
            ) from None
        except KeyboardInterrupt:
            if signals.real_interrupt():
                raise
            raise PluginExit(
                f"{who} raised KeyboardInterrupt itself (no Ctrl-C was pressed); model code "
                "must raise an ordinary exception when it fails"
            ) from None


@contextlib.contextmanager
def on_path(folder: Path | None) -> Iterator[None]:
    """``folder`` first on ``sys.path`` for the duration (plug-ins next to a config)."""
    if folder is None:
        yield
        return
    entry = str(folder)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def _provides(folder: Path, top: str) -> bool:
    """Whether ``folder`` holds module ``top`` (``top.py`` or a package ``top/``)."""
    return (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()


def folder_sources(folder: Path) -> tuple[Path, ...]:
    """Every module source a plug-in in ``folder`` could import from there: the folder's
    ``*.py`` files and those of its packages. A plug-in's run depends on all of them (the
    same list whatever this process imported before)."""
    files = list(folder.glob("*.py"))
    for package in folder.glob("*/__init__.py"):
        files += package.parent.rglob("*.py")
    return tuple(sorted(p.resolve() for p in files))


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # deleted since: stale


@dataclass
class _Plugins:
    """The modules imported from the one config folder whose plug-ins this process holds:
    name -> (source file, its hash when imported)."""

    folder: Path | None = None
    modules: dict[str, tuple[Path, str | None]] = field(default_factory=dict)

    def stale(self, folder: Path, top: str) -> bool:
        """Another folder is asked for (its modules may share names with ours, and ours
        must not shadow the environment's), or a source file of ours has changed."""
        if not self.modules:
            return False
        if self.folder != folder and (_provides(folder, top) or top in self.modules):
            return True
        return any(_digest(path) != digest for path, digest in self.modules.values())

    def drop(self) -> None:
        """Forget every module of the folder, and the bytecode of each changed file (Python
        checks it by mtime in whole seconds and size: a quick same-size edit would load
        the old code)."""
        from importlib.util import cache_from_source

        for name, (path, digest) in self.modules.items():
            sys.modules.pop(name, None)
            if _digest(path) != digest:
                with contextlib.suppress(OSError, ValueError, NotImplementedError):
                    Path(cache_from_source(str(path))).unlink()
        self.modules.clear()
        importlib.invalidate_caches()

    def record(self, folder: Path, before: set[str]) -> None:
        """Note the modules the last import loaded from ``folder`` (new submodules of a
        package that was there before, like ``bench`` itself, are not the folder's)."""
        self.folder = folder
        for name in set(sys.modules) - before:
            package = name.partition(".")[0]
            if package in before and package not in self.modules:
                continue
            file = getattr(sys.modules[name], "__file__", None)
            path = Path(file).resolve() if file else None
            if path is not None and path.is_relative_to(folder):
                self.modules[name] = (path, _digest(path))


_PLUGINS = _Plugins()
# Plug-ins are imported one at a time: a Dask worker fits folds in several threads, and
# sys.path and sys.modules are the whole process's.
_IMPORT_LOCK = threading.RLock()


def import_plugin(module_name: str, folder: Path | None) -> Any:
    """Import ``module_name``, from ``folder`` first. A long-lived process (a Dask worker,
    a reused pool worker, a test session) holds the plug-ins of one config folder at a
    time, as they are now: a module from another folder, or an edited one, is dropped with
    the rest of its folder's and imported again. A plug-in named like a module of the
    environment is an error."""
    top = module_name.partition(".")[0]
    with _IMPORT_LOCK:
        if folder is not None and _PLUGINS.stale(folder, top):
            _PLUGINS.drop()
        cached = sys.modules.get(top)
        if (
            folder is not None
            and cached is not None
            and top not in _PLUGINS.modules
            and _provides(folder, top)
        ):
            origin = getattr(cached, "__file__", None)
            if origin is None or not Path(origin).resolve().is_relative_to(folder):
                raise ModelError(
                    f"plug-in module {top!r} in {folder} has the name of a module already "
                    f"imported from {origin or 'the interpreter'}; rename the plug-in file"
                )
            for name in [m for m in sys.modules if m == top or m.startswith(f"{top}.")]:
                del sys.modules[name]  # imported from the folder by other means: afresh
        before = set(sys.modules)
        with on_path(folder), plugin_code(f"importing {module_name!r}"):
            module = importlib.import_module(module_name)
        if folder is not None:
            _PLUGINS.record(folder, before)
        return module
