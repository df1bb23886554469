"""Small file helpers: atomic writes, stable hashes, and the TOML reader."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import tomllib  # noqa: F401  (the one TOML reader: configs, contrast rules, the lexicon)
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, then rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, then rename; the file gets the mode a
    plain ``open`` would give it (0666 less the umask), not mkstemp's 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def sha256_bytes(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(len(c).to_bytes(8, "little"))
        h.update(c)
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_bytes(dumps_json(obj).encode("utf-8"))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False when the
    platform cannot."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):  # pragma: no cover
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover - old glibc
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def replace_dir_atomic(staging: Path, final: Path) -> None:
    """Move a fully written ``staging`` folder to ``final``, replacing what was there.

    Where the platform can swap two folders in one step (Linux), ``final`` is never
    missing: the new folder takes its place and the old one is deleted afterwards.
    Elsewhere the old folder is moved aside first, so an interruption leaves the old
    complete folder, the new complete one, or (for an instant) the old one aside.
    Callers that may race hold a lock (``bench.runs.locked``).
    """
    final = Path(final)
    if final.exists():
        if _exchange(staging, final):
            shutil.rmtree(staging)
            return
        old = final.with_name(f".{final.name}.old-{os.getpid()}")  # pragma: no cover
        if old.exists():  # pragma: no cover
            shutil.rmtree(old)
        os.replace(final, old)  # pragma: no cover
        os.replace(staging, final)  # pragma: no cover
        shutil.rmtree(old, ignore_errors=True)  # pragma: no cover
        return  # pragma: no cover
    os.replace(staging, final)


def staging_dir(final: Path) -> Path:
    """An empty folder beside ``final`` (``.<name>.<random>.partial``), with the mode a
    plain ``mkdir`` would give it."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    os.chmod(path, 0o777 & ~_umask())
    return path
