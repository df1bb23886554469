"""Small file helpers: atomic writes, stable hashes, and the TOML reader; and the rules
every write and every read of a folder we replace follow:

- ``writing_into``: an OSError while writing into a folder (full disk, read-only, no
  permission) is one ``WriteError`` naming the folder the user named and the fix, never a
  staging or temp path;
- ``refuse_link`` and ``check_links``: a folder we replace as a whole is not a symbolic
  link, and a folder we read as our own (the reference) holds no link that leaves it;
- ``temp_dir``: our temp folders carry their process id, and a later run removes those
  whose process is gone (killed with ``kill -9``).
"""

from __future__ import annotations

import contextlib
import errno as errnos
import hashlib
import json
import os
import re
import shutil
import tempfile
import tomllib  # noqa: F401  (the one TOML reader: configs, contrast rules, the lexicon)
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.errors import BenchError, RunError

# ------------------------------------------------------------------------ write errors
_REASONS = {
    errnos.ENOSPC: "no space left on the device (the disk is full)",
    errnos.EDQUOT: "the disk quota is exceeded (the disk is full for you)",
    errnos.EROFS: "the file system is read-only",
    errnos.EACCES: "permission denied (not writable for you)",
    errnos.EPERM: "permission denied (not writable for you)",
    errnos.ENAMETOOLONG: "a file name there is too long",
}


class WriteError(BenchError):
    """Writing into ``folder`` failed; the message names it as the user did (``shown``)."""

    def __init__(self, folder: Path, shown: str, reason: str, fix: str):
        super().__init__(f"{shown}: cannot write there: {reason}; {fix}")
        self.folder, self.shown, self.reason, self.fix = Path(folder), shown, reason, fix


def _reason(err: OSError) -> str:
    """What went wrong, without the paths (they may be staging or temp paths)."""
    code = err.errno
    if not code:  # pyarrow and shutil.Error carry it in the text: "[Errno 28] ..."
        found = re.search(r"\[errno (\d+)\]", str(err), re.IGNORECASE)
        code = int(found.group(1)) if found else None
    if code in _REASONS:
        return _REASONS[code]
    if code:
        return os.strerror(code).lower()
    return err.strerror or type(err).__name__


def _within(path: Path, folder: Path) -> bool:
    try:
        return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))
    except ValueError:  # pragma: no cover - different drives
        return False


@contextlib.contextmanager
def writing_into(
    folder: Path, *, fix: str, shown: str | None = None, within: bool = False
) -> Iterator[None]:
    """An OSError in the block (a full disk, a read-only file system, no permission)
    becomes one WriteError naming ``folder`` (as ``shown``, by default as given) and
    ``fix`` (with ``within``, only an error about a file inside ``folder``: a block that
    also reads elsewhere). The caller removes its staging folder on the way out. A
    WriteError from an inner block about a folder inside ``folder`` is named as ``folder``
    (a run folder in check's temp folder is reported as the temp folder)."""
    shown = str(folder) if shown is None else shown
    try:
        yield
    except WriteError as err:
        if err.folder != Path(folder) and _within(err.folder, folder):
            raise WriteError(folder, shown, err.reason, fix) from None
        raise
    except OSError as err:
        named = getattr(err, "filename", None)
        if within and named is not None and not _within(Path(os.fsdecode(named)), folder):
            raise  # about a file elsewhere (one read there), not a write into the folder
        raise WriteError(folder, shown, _reason(err), fix) from None


# ------------------------------------------------------------------------ links
def refuse_link(path: Path, fix: str) -> None:
    """Fail when ``path``, a folder about to be replaced as a whole, is a symbolic link:
    the link would be replaced, not what it points to, and the old content left aside."""
    path = Path(path)
    if path.is_symlink():
        raise RunError(
            f"{path}: is a symbolic link (to {os.readlink(path)}); stance-bench replaces "
            f"this folder as a whole and does not follow links there; {fix}"
        )


def check_links(root: Path) -> None:
    """Fail when the folder ``root`` holds a symbolic link that leaves it or leads nowhere:
    what is read there as its own files would be another file's content. Links that stay
    inside ``root`` are allowed (nothing outside is read through them)."""
    root = Path(root)
    if not root.is_dir():
        return
    top = Path(os.path.realpath(root))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            target = Path(os.path.realpath(path))
            if not target.exists():
                where = "leads nowhere (a dangling link)"
            elif not target.is_relative_to(top):
                where = f"leads outside {root}"
            else:
                continue
            raise RunError(
                f"{path}: is a symbolic link to {os.readlink(path)} and {where}; nothing is "
                f"read through it: replace the link with the file itself"
            )


# ------------------------------------------------------------------------ temp folders
TEMP_PREFIX = "stance-bench-"
_TEMP_NAME = re.compile(rf"{TEMP_PREFIX}[a-z]+-(\d+)-.+")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temp() -> None:
    """Remove our temp folders (``stance-bench-<kind>-<pid>-*``) whose process is gone."""
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for entry in root.glob(f"{TEMP_PREFIX}*"):
            found = _TEMP_NAME.fullmatch(entry.name)
            if (
                found
                and entry.is_dir()
                and not entry.is_symlink()
                and int(found.group(1)) != os.getpid()
                and not _alive(int(found.group(1)))
            ):
                shutil.rmtree(entry, ignore_errors=True)


def temp_dir(kind: str) -> Path:
    """A new folder ``stance-bench-<kind>-<pid>-<random>`` in the temp folder (TMPDIR),
    after removing those a killed process left; the caller removes it when done."""
    remove_stale_temp()
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{kind}-{os.getpid()}-"))


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


def check_can_write(folder: Path) -> None:
    """Raise OSError (read-only file system, or permission denied) unless a folder can be
    made or written at ``folder`` (its nearest existing ancestor decides): checked before
    the work whose result goes there."""
    for parent in [Path(folder), *Path(folder).parents]:
        if parent.exists():
            if os.statvfs(parent).f_flag & os.ST_RDONLY:
                raise OSError(errnos.EROFS, "read-only file system")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PermissionError(errnos.EACCES, "not writable")
            return


def check_replaceable(final: Path) -> None:
    """Raise PermissionError (for ``writing_into`` to word) unless the folder ``final``, if
    it exists, can be replaced as a whole: the old folder is deleted once the new one is
    in, which needs every folder in it writable; checked before the swap, not after."""
    final = Path(final)
    if not final.is_dir() or final.is_symlink():
        return
    for dirpath, _, _ in os.walk(final):
        if not os.access(dirpath, os.W_OK | os.X_OK):
            raise PermissionError(errnos.EACCES, "not writable", dirpath)


def replace_dir_atomic(staging: Path, final: Path) -> None:
    """Move a fully written ``staging`` folder to ``final``, replacing what was there.

    Where the platform can swap two folders in one step (Linux), ``final`` is never
    missing: the new folder takes its place and the old one is deleted afterwards.
    Elsewhere the old folder is moved aside first, so an interruption leaves the old
    complete folder, the new complete one, or (for an instant) the old one aside.
    Callers that may race hold a lock (``bench.runs.locked``).
    """
    final = Path(final)
    refuse_link(final, "replace the link with a real folder, or name the real folder")
    check_replaceable(final)
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
    refuse_link(final, "replace the link with a real folder, or name the real folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    os.chmod(path, 0o777 & ~_umask())
    return path
