"""Faults and bad inputs of issue 22 (reliability round 3), table-driven like
``test_bad_inputs.py``: each case runs the real CLI (``bench.cli.main`` in this process
where that is safe, else the ``stance-bench`` script in a subprocess of its own session)
on a fresh copy of a tiny project, and asserts:

- the exit code;
- for an error, exactly one stderr line ``stance-bench: error: ...`` holding the case's
  key phrases, at most ``MAX_LINE`` characters, no traceback;
- every file that was there unchanged (a symlink: same target), new paths only where the
  case allows them, and no staging (``*.partial``, ``.*.tmp``) or ``stance-bench-*`` temp
  folder left behind;
- for subprocess cases, no process of the command's session alive after it ended.

The project: a 24-row CSV dataset and two ``majority`` configs ``a`` and ``b`` on it (2
folds, no bootstrap), checked into ``results/reference``; a copy of ``seeds/`` derived into
``data/derived`` and a config ``seedcfg/s.toml`` reading it. Built once per session, copied
into each case's temp folder with its own TMPDIR. The cases that start worker processes,
send signals or race two commands take seconds each: they are marked ``slow`` (CI runs them
too: it runs the whole suite). Full disks are small tmpfs mounts and permission cases run
under ``setpriv`` without the permission bypass; both need root and skip otherwise.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.cli import main
from bench.runs import metrics_digest, predictions_digest
from tests.conftest import ARTICLE, REPO, SEEDS
from tests.runs import write_run as write_fake_run

ANN = f"{ARTICLE}.annotations.jsonl"
EXE = Path(sys.executable).with_name("stance-bench")
DOCS = REPO / "docs"
MAX_LINE = 400
ERROR = "stance-bench: error: "
ROOT = os.geteuid() == 0

# key phrases (the issue gives no wording)
FOLD = re.compile(r"\bfold \d+")
SYSEXIT = re.compile(r"sys\.exit|SystemExit")
KBI = re.compile(r"KeyboardInterrupt")
DIED = re.compile(r"died|killed|exited|os\._exit", re.I)
LINK = re.compile(r"symbolic link", re.I)
PROBA = re.compile(r"probabilit", re.I)
NSPACE = re.compile(r"no space|disk is full", re.I)
READONLY = re.compile(r"read-only|not writable|permission", re.I)


# =====================================================================================
# running a command, and what it left
# =====================================================================================
@dataclass
class Result:
    code: Any  # int, or "timeout"
    out: str
    err: str
    secs: float
    orphans: list[str] = field(default_factory=list)

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.out + self.err

    @property
    def err_lines(self) -> list[str]:
        return [x for x in self.err.strip().splitlines() if x.strip()]

    @property
    def first_err(self) -> str:
        return (self.err_lines or [""])[0]


def _session_of(pid: int) -> int | None:
    """The session id of a live (not zombie) process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = raw[raw.rindex(")") + 2 :].split()
    return None if rest[0] == "Z" else int(rest[3])


def session_members(sid: int) -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _session_of(int(p)) == sid]


def kill_session(sid: int) -> None:
    """Kill what this module started: the members of a session it created."""
    for pid in session_members(sid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every path under ``root``: a file's bytes, ("link", target) of a symlink, None of a
    folder; ``__pycache__`` left out."""
    out: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = None
            else:
                try:
                    out[rel] = p.read_bytes()
                except OSError as exc:
                    out[rel] = ("unreadable", str(exc))
    return out


def _match(rel: str, patterns) -> bool:
    return any(fnmatch.fnmatch(rel, p) for p in patterns)


ALWAYS_NEW = ("*.stance-bench.lock", "proj/runs", "*__pycache__*")


class Env:
    """One case: a fresh copy of the project in ``tmp/proj``, with its own TMPDIR."""

    def __init__(self, template: Path, tmp: Path, monkeypatch, capfd, request):
        self.tmp = tmp
        self.proj = tmp / "proj"
        shutil.copytree(template, self.proj, symlinks=True)
        self.tmpdir = tmp / "tmp"
        self.tmpdir.mkdir()
        self.capfd = capfd
        self.request = request
        self.mounts: list[Path] = []
        self.base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "GITHUB_"))
        }
        self.base_env["TMPDIR"] = str(self.tmpdir)
        monkeypatch.chdir(self.proj)
        monkeypatch.setenv("TMPDIR", str(self.tmpdir))
        monkeypatch.setattr(tempfile, "tempdir", None)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        self._counter = 0
        request.addfinalizer(self._unmount)

    def text(self, rel: str | Path, content: str | bytes) -> Path:
        path = self.proj / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def uid(self) -> str:
        """A module name no other case uses (plug-ins stay imported in this process)."""
        self._counter += 1
        return f"plug_{re.sub(r'[^A-Za-z0-9]', '_', self.tmp.name)[-40:]}_{self._counter}"

    def snapshot(self) -> dict[str, Any]:
        return snapshot(self.tmp, skip=("tmp",))

    def leftovers(self) -> list[str]:
        left = []
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            rel = Path(dirpath).relative_to(self.tmp)
            if rel.parts[:1] == ("tmp",):
                continue
            for name in dirnames + filenames:
                if name.endswith(".partial") or re.fullmatch(r"\..*\.tmp", name):
                    left.append((rel / name).as_posix())
        left += [f"TMPDIR/{p.name}" for p in self.tmpdir.glob("stance-bench*")]
        return sorted(left)

    # -- running ------------------------------------------------------------------------
    def run(self, argv, *, sub=False, env=None, timeout=60.0, prefix=()) -> Result:
        if sub or prefix:
            return self.finish(
                self.popen(argv, env={**self.base_env, **(env or {})}, prefix=prefix), timeout
            )
        return self._here(argv, env or {})

    def _here(self, argv: list[str], env: dict[str, str]) -> Result:
        self.capfd.readouterr()
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        tempfile.tempdir = None  # gettempdir() reads TMPDIR afresh
        tb = ""
        t0 = time.perf_counter()
        try:
            code = main(argv)
        except SystemExit as done:  # what the console script would do with it
            code = 0 if done.code is None else done.code if isinstance(done.code, int) else 1
        except BaseException:
            import traceback

            code, tb = 1, traceback.format_exc()
        finally:
            secs = time.perf_counter() - t0
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            tempfile.tempdir = None
        out, err = self.capfd.readouterr()
        return Result(code, out, err + tb, secs)

    def popen(self, argv, *, env=None, prefix=()) -> subprocess.Popen:
        proc = subprocess.Popen(
            [*prefix, str(EXE), *argv],
            cwd=self.proj,
            env=env or self.base_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        proc.t0 = time.perf_counter()  # type: ignore[attr-defined]
        self.request.addfinalizer(lambda: kill_session(proc.pid))
        return proc

    def finish(self, proc: subprocess.Popen, timeout: float, grace: float = 2.0) -> Result:
        """Wait for the command (not for its pipes: a leftover worker may hold them), note
        the processes of its session still alive ``grace`` seconds after, kill them."""
        bufs: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=lambda n=n, s=s: bufs.__setitem__(n, s.read()), daemon=True)
            for n, s in (("out", proc.stdout), ("err", proc.stderr))
        ]
        for t in readers:
            t.start()
        try:
            proc.wait(timeout=timeout)
            code: Any = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        secs = time.perf_counter() - proc.t0  # type: ignore[attr-defined]
        orphans: list[str] = []
        if code != "timeout":
            deadline = time.time() + grace
            while session_members(proc.pid) and time.time() < deadline:
                time.sleep(0.1)
            orphans = [str(p) for p in session_members(proc.pid)]
        kill_session(proc.pid)
        proc.wait()
        for t in readers:
            t.join(10)
        out = bufs.get("out", b"").decode(errors="replace")
        err = bufs.get("err", b"").decode(errors="replace")
        return Result(code, out, err, secs, orphans)

    # -- mounts (root only) ------------------------------------------------------------
    def tmpfs(self, rel: str, size: str) -> Path:
        mnt = self.tmp / rel
        mnt.mkdir(parents=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        self.mounts.append(mnt)
        return mnt

    def fill(self, mnt: Path, leave: int = 0) -> None:
        st = os.statvfs(mnt)
        try:
            with open(mnt / "ballast", "wb") as fh:
                fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
        except OSError:
            pass

    def remount_ro(self, mnt: Path) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)

    def _unmount(self) -> None:
        for mnt in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(mnt)], check=False)


def assert_error(
    res: Result, code: int, phrases=(), *, before=None, after=None, env=None, new=(), changed=()
) -> None:
    """The issue's shape of an error: exit code, one stderr line with the key phrases, no
    traceback, nothing pre-existing touched, no leftovers, no orphans."""
    assert not res.traceback, res.err[-1500:]
    lines = res.err_lines
    assert len(lines) == 1, f"{len(lines)} stderr lines: {res.err[-1500:]}"
    assert lines[0].startswith(ERROR), lines[0]
    missing = [str(p) for p in phrases if not _has(lines[0], p)]
    assert not missing, f"missing {missing} in: {lines[0]}"
    assert len(lines[0]) <= MAX_LINE, f"{len(lines[0])} characters: {lines[0]}"
    assert res.code == code, f"exit {res.code}, wanted {code}: {lines[0]}"
    if env is not None:
        assert_files(env, before, after, new=new, changed=changed)
    assert not res.orphans, f"processes left: {res.orphans}"


def assert_ok(
    res: Result,
    code: int = 0,
    *,
    warnings: int = 0,
    before=None,
    after=None,
    env=None,
    new=("*",),
    changed=(),
) -> None:
    assert not res.traceback, res.err[-1500:]
    assert res.code == code, f"exit {res.code}, wanted {code}: {res.err[-800:]}"
    assert not [x for x in res.err_lines if x.startswith(ERROR)], res.err[-800:]
    assert len(res.err_lines) <= warnings, res.err[-800:]
    if env is not None:
        assert_files(env, before, after, new=new, changed=changed)
    assert not res.orphans, f"processes left: {res.orphans}"


def assert_files(env: Env, before, after, *, new=(), changed=()) -> None:
    for rel, content in before.items():
        assert rel in after, f"{rel} was removed"
        if not _match(rel, changed):
            assert after[rel] == content, f"{rel} was changed"
    added = [r for r in after if r not in before]
    unexpected = [r for r in added if not _match(r, (*ALWAYS_NEW, *new))]
    assert not unexpected, f"new paths: {unexpected[:6]}"
    left = env.leftovers()
    assert not left, f"leftover temp/staging: {left}"


def _has(line: str, phrase) -> bool:
    return bool(phrase.search(line)) if isinstance(phrase, re.Pattern) else phrase in line


# =====================================================================================
# the project
# =====================================================================================
LABELS = '[dataset.labels]\nA = "condemn"\nF = "support"\nN = "fact"\n'
ROWS = "".join(f"{i},Row number {i} says something.,{'AFN'[i % 3]}\n" for i in range(1, 25))
BASE = (
    'seed = 7\ntask = "joint"\n[dataset]\npath = "../d.csv"\n'
    + LABELS
    + "[protocol]\nn_splits = 2\nn_repeats = 1\n[metrics]\nbootstrap = 0\n"
)
SEED_BASE = (
    'seed = 7\n[dataset]\nseeds = "../seeds"\ndata_dir = "../data/derived"\n'
    "[protocol]\nn_splits = 2\nn_repeats = 1\n[metrics]\nbootstrap = 0\n"
)


def cfg_text(model: str = "majority", extra: str = "", base: str = "_base.toml") -> str:
    return f'extends = "{base}"\n{extra}[model]\nname = "{model}"\n'


class _quiet:
    def __enter__(self):
        self._out, self._err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = io.StringIO()

    def __exit__(self, *exc):
        sys.stdout, sys.stderr = self._out, self._err


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults") / "proj"
    root.mkdir()
    shutil.copytree(SEEDS, root / "seeds")
    (root / "d.csv").write_text("id,text,label\n" + ROWS, encoding="utf-8")
    (root / "configs").mkdir()
    (root / "configs" / "_base.toml").write_text(BASE, encoding="utf-8")
    (root / "configs" / "a.toml").write_text(cfg_text(), encoding="utf-8")
    (root / "configs" / "b.toml").write_text(cfg_text(extra="seed = 8\n"), encoding="utf-8")
    (root / "seedcfg").mkdir()
    (root / "seedcfg" / "_seed.toml").write_text(SEED_BASE, encoding="utf-8")
    (root / "seedcfg" / "s.toml").write_text(cfg_text(base="_seed.toml"), encoding="utf-8")
    old = os.getcwd()
    os.chdir(root)
    try:
        with _quiet():
            assert main(["derive"]) == 0
            argv = ["check", "--update", "-q", "--n-jobs", "1", "configs/a.toml", "configs/b.toml"]
            assert main(argv) == 0
    finally:
        os.chdir(old)
    return root


@pytest.fixture
def env(template, tmp_path, monkeypatch, capfd, request) -> Env:
    return Env(template, tmp_path, monkeypatch, capfd, request)


# ----------------------------------------------------------------------- plug-ins
def plugin_source(fit="", predict="", proba=None, decision=None, build="", module="") -> str:
    def ind(code: str, n: int) -> str:
        return textwrap.indent(textwrap.dedent(code).strip("\n"), " " * n) if code.strip() else ""

    src = f"""
import os, sys, time, signal
from pathlib import Path
import numpy as np
{textwrap.dedent(module).strip()}


class M:
    def get_params(self, deep=True):
        return {{}}

    def set_params(self, **kw):
        return self

    def fit(self, X, y):
        vals, counts = np.unique(np.asarray(y), return_counts=True)
        self.classes_ = vals
        self.major_ = vals[np.argmax(counts)]
{ind(fit, 8)}
        return self

    def predict(self, X):
        n = len(X)
        pred = np.array([self.major_] * n, dtype=object)
{ind(predict, 8)}
        return pred
"""
    if proba is not None:
        src += f"""
    def predict_proba(self, X):
        n, k = len(X), len(self.classes_)
        P = np.zeros((n, k))
        P[:, list(self.classes_).index(self.major_)] = 1.0
{ind(proba, 8)}
        return P
"""
    if decision is not None:
        src += f"""
    def decision_function(self, X):
        n, k = len(X), len(self.classes_)
        D = np.zeros((n, k))
{ind(decision, 8)}
        return D
"""
    return (
        src
        + f"""

def build():
{ind(build, 4)}
    return M()
"""
    )


def plug(env: Env, name: str = "plugcfg", extra: str = "", **code) -> Path:
    """A plug-in module in configs/ and ``configs/<name>.toml`` naming it."""
    mod = env.uid()
    env.text(f"configs/{mod}.py", plugin_source(**code))
    return env.text(f"configs/{name}.toml", cfg_text(f"{mod}:build", extra))


def hang_source(mark: Path, first_only: bool = False) -> dict:
    """A model whose fit writes a marker and sleeps (only the first fit, or every one)."""
    if first_only:
        body = f"""
try:
    fd = os.open({str(mark)!r}, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.write(fd, str(os.getpid()).encode()); os.close(fd)
    time.sleep(600)
except FileExistsError:
    pass
"""
    else:
        body = f"""
Path({str(mark)!r}).mkdir(exist_ok=True)
Path({str(mark)!r}, str(os.getpid())).touch()
time.sleep(600)
"""
    return {"fit": body}


def wait_for(pred: Callable[[], bool], timeout: float = 40) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------------- run folders
def gold_pred(n: int = 80, acc: float = 0.7, seed: int = 1):
    gold = np.array([i % 4 for i in range(n)])
    rng = np.random.default_rng(seed)
    wrong = (gold + rng.integers(1, 4, n)) % 4
    return gold, np.where(rng.random(n) < acc, gold, wrong)


def fake_run(folder: Path, name: str, gold, pred, **kw) -> Path:
    return write_fake_run(folder, name, gold, pred, **kw)


def edit_json(
    path: Path, fn: Callable[[Any], Any], *, allow_nan: bool = False, digest: bool = False
) -> None:
    """Edit a JSON file; ``digest``: rewrite metrics.json's digest of itself after the edit
    (a file that passes the digest but breaks the schema, as another tool might write)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc = fn(doc) or doc
    if digest:
        doc["metrics_sha256"] = metrics_digest(doc)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=allow_nan) + "\n")


def redigest(run: Path, rows: list[dict]) -> None:
    """Rewrite predictions.jsonl, and both digests metrics.json records."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (run / "predictions.jsonl").write_text(text, encoding="utf-8")
    edit_json(
        run / "metrics.json",
        lambda m: m.update(predictions_sha256=predictions_digest(text)),
        digest=True,
    )


def git(env: Env, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=env.proj,
        check=True,
        capture_output=True,
    )


def file_config(
    env: Env,
    data: str,
    extra: str = "",
    labels: str = LABELS,
    top: str = "",
    protocol: str = "n_splits = 2\nn_repeats = 1\n",
) -> Path:
    return env.text(
        "c.toml",
        f'{top}[model]\nname = "majority"\n[protocol]\n{protocol}[metrics]\nbootstrap = 0\n'
        f'[dataset]\npath = "{data}"\n{extra}{labels}',
    )


# =====================================================================================
# the table
# =====================================================================================
@dataclass(frozen=True)
class Case:
    family: str
    id: str
    setup: Callable[[Env], Any]  # returns argv, or (argv, options of Env.run)
    code: int = 2
    phrases: tuple = ()
    ok: bool = False  # the outcome wanted is success (code), not an error line
    new: tuple = ()
    changed: tuple = ()
    warnings: int = 0  # stderr lines allowed beside success
    extra: Callable[[Env, Result], None] | None = None
    alt_error: tuple | None = None  # an error (exit 2) with these phrases is right too
    marks: tuple = ()


def _argv(x):
    return (x, {}) if isinstance(x, list) else x


SLOW = (pytest.mark.slow,)
NEEDS_ROOT = (pytest.mark.skipif(not ROOT, reason="mounts and setpriv need root"),)


# ------------------------------------------------------------------ plug-ins that exit
F_EXIT = "plugin-exit"


def exit_case(
    where: str, stmt: str, n_jobs: int, command: str = "run", sub: bool = False, extra: str = ""
):
    def setup(env: Env):
        cfg = plug(env, extra=extra, **{where: stmt})
        argv = [command, "-q", str(cfg.relative_to(env.proj)), "--n-jobs", str(n_jobs)]
        return (argv + ["--out", "runs"] if command == "run" else argv), {"sub": sub}

    return setup


EXIT = ("plugcfg", FOLD, SYSEXIT)
EXIT_CASES = [
    Case(F_EXIT, "fit-sys-exit-0-n1", exit_case("fit", "sys.exit(0)", 1), 2, EXIT),
    Case(F_EXIT, "fit-sys-exit-0-n2", exit_case("fit", "sys.exit(0)", 2), 2, EXIT, marks=SLOW),
    Case(F_EXIT, "predict-sys-exit-0-n1", exit_case("predict", "sys.exit(0)", 1), 2, EXIT),
    Case(F_EXIT, "fit-sys-exit-3", exit_case("fit", "sys.exit(3)", 1), 2, EXIT),
    Case(
        F_EXIT, "fit-raise-systemexit-str", exit_case("fit", "raise SystemExit('bye')", 1), 2, EXIT
    ),
    Case(
        F_EXIT, "factory-sys-exit-0", exit_case("build", "sys.exit(0)", 1), 2, ("plugcfg", SYSEXIT)
    ),
    Case(
        F_EXIT, "import-sys-exit-0", exit_case("module", "sys.exit(0)", 1), 2, ("plugcfg", SYSEXIT)
    ),
    Case(F_EXIT, "check-fit-sys-exit-0-n1", exit_case("fit", "sys.exit(0)", 1, "check"), 1, EXIT),
    Case(
        F_EXIT,
        "check-fit-sys-exit-0-n2",
        exit_case("fit", "sys.exit(0)", 2, "check"),
        1,
        EXIT,
        marks=SLOW,
    ),
    Case(
        F_EXIT,
        "check-predict-sys-exit-0-n1",
        exit_case("predict", "sys.exit(0)", 1, "check"),
        1,
        EXIT,
    ),
    Case(
        F_EXIT,
        "fit-keyboardinterrupt-n1",
        exit_case("fit", "raise KeyboardInterrupt", 1),
        2,
        ("plugcfg", FOLD, KBI),
    ),
    Case(
        F_EXIT,
        "fit-keyboardinterrupt-n2",
        exit_case("fit", "raise KeyboardInterrupt", 2),
        2,
        ("plugcfg", FOLD, KBI),
        marks=SLOW,
    ),
    Case(
        F_EXIT,
        "check-fit-keyboardinterrupt",
        exit_case("fit", "raise KeyboardInterrupt", 1, "check"),
        1,
        ("plugcfg", FOLD, KBI),
    ),
    Case(
        F_EXIT,
        "fit-os-exit-0-worker",
        exit_case("fit", "os._exit(0)", 2, sub=True),
        2,
        ("plugcfg", FOLD, DIED),
        marks=SLOW,
    ),
    Case(
        F_EXIT,
        "check-fit-os-exit-0-worker",
        exit_case("fit", "os._exit(0)", 2, "check", sub=True),
        1,
        ("plugcfg", FOLD, DIED),
        marks=SLOW,
    ),
    # an error in fit while the workers hold queued folds (10 folds, 4 queued per worker):
    # the pool fails those itself (before: this process cancelled them first, loky's
    # manager thread died of InvalidStateError on stderr and the workers kept the run
    # alive for their 300 s idle timeout)
    Case(
        F_EXIT,
        "fit-raises-with-folds-queued-n2",
        exit_case(
            "fit",
            "raise ValueError('exploded in fit')",
            2,
            sub=True,
            extra="[protocol]\nn_splits = 5\nn_repeats = 2\n",
        ),
        2,
        ("plugcfg", FOLD, "exploded in fit"),
        marks=SLOW,
    ),
]


# ------------------------------------------------------------------ plug-in stdout
F_OUT = "plugin-stdout"
PLANT = "## \u2705 All checks passed"


def stdout_check(where: str, n_jobs: int = 1, sub: bool = False):
    """check --update a silent plug-in, then make it print (same predictions) and check."""

    def setup(env: Env):
        mod = env.uid()
        src = env.text(f"configs/{mod}.py", plugin_source())
        env.text("configs/plugcfg.toml", cfg_text(f"{mod}:build"))
        r = env.run(["check", "--update", "-q", "--n-jobs", "1", "configs/plugcfg.toml"])
        assert r.code == 0, r.err
        src.write_text(plugin_source(**{where: f"print({PLANT!r}); print('PLUGIN-NOISE')"}))
        shutil.rmtree(env.proj / "configs" / "__pycache__", ignore_errors=True)
        return [
            "check",
            "-q",
            "configs/plugcfg.toml",
            "--format",
            "markdown",
            "--n-jobs",
            str(n_jobs),
        ], {"sub": sub}

    return setup


def stdout_run(where: str, n_jobs: int):
    def setup(env: Env):
        cfg = plug(env, **{where: f"print({PLANT!r}); print('PLUGIN-NOISE')"})
        return [
            "run",
            "-q",
            str(cfg.relative_to(env.proj)),
            "--out",
            "runs",
            "--n-jobs",
            str(n_jobs),
        ]

    return setup


def stdout_clean(first: str):
    def extra(env: Env, res: Result):
        assert "PLUGIN-NOISE" not in res.out and PLANT not in res.out, res.out[:300]
        assert res.out.startswith(first), res.out[:200]
        assert "PLUGIN-NOISE" in res.err  # it went to stderr, not nowhere

    return extra


def docs_say(pattern: str):
    """The case of a documented behaviour: a docs/*.md page says it."""

    def setup(env: Env):
        return ["--version"]

    def extra(env: Env, res: Result):
        text = " ".join(" ".join(p.read_text("utf-8").split()) for p in sorted(DOCS.glob("*.md")))
        assert re.search(pattern, text, re.I), f"docs/ lacks /{pattern}/"

    return setup, extra


_doc_out = docs_say(r"plug-in[^.]{0,200}(stdout|standard output|print)")
STDOUT_CASES = [
    Case(
        F_OUT,
        "factory-print-check-markdown",
        stdout_check("build"),
        0,
        ok=True,
        extra=stdout_clean("<!-- stance-bench check -->"),
        warnings=40,
    ),
    Case(
        F_OUT,
        "import-print-check-markdown",
        stdout_check("module"),
        0,
        ok=True,
        extra=stdout_clean("<!-- stance-bench check -->"),
        warnings=40,
    ),
    Case(
        F_OUT,
        "fit-print-check-markdown-n1",
        stdout_check("fit"),
        0,
        ok=True,
        extra=stdout_clean("<!-- stance-bench check -->"),
        warnings=40,
    ),
    Case(
        F_OUT,
        "predict-print-check-markdown-n2",
        stdout_check("predict", 2, sub=True),
        0,
        ok=True,
        extra=stdout_clean("<!-- stance-bench check -->"),
        warnings=40,
        marks=SLOW,
    ),
    Case(
        F_OUT,
        "fit-print-run-n1",
        stdout_run("fit", 1),
        0,
        ok=True,
        extra=stdout_clean("Task joint"),
        warnings=40,
    ),
    Case(F_OUT, "docs-say-where-plugin-output-goes", _doc_out[0], 0, ok=True, extra=_doc_out[1]),
]


# ------------------------------------------------------------------ model output
F_SHAPE = "prediction-shape"


def shape_case(n_jobs: int = 1, **code):
    def setup(env: Env):
        cfg = plug(env, **code)
        return [
            "run",
            "-q",
            str(cfg.relative_to(env.proj)),
            "--out",
            "runs",
            "--n-jobs",
            str(n_jobs),
        ]

    return setup


NEGATIVE = "P[:] = 1.2 / (k - 1)\nP[:, 0] = -0.2"  # rows sum to 1, one probability < 0


def negative_then_sorted(env: Env):
    cfg = plug(env, proba=NEGATIVE)
    env.run(["run", "-q", str(cfg.relative_to(env.proj)), "--out", "runs", "--n-jobs", "1"])
    (env.proj / "runs").mkdir(exist_ok=True)
    return ["leaderboard", "runs", "--sort", "log_loss", "--no-tiers"]


def _not_ranked(env: Env, res: Result):
    assert "plugcfg" not in res.out, res.out[:300]


PRED = ("plugcfg", FOLD, "predict")
SHAPE_CASES = [
    Case(
        F_SHAPE,
        "proba-negative-ranked-by-log-loss",
        negative_then_sorted,
        0,
        ok=True,
        extra=_not_ranked,
        alt_error=("runs",),
    ),
    Case(F_SHAPE, "predict-too-short", shape_case(predict="pred = pred[:-1]"), 2, PRED),
    Case(
        F_SHAPE, "predict-too-long", shape_case(predict="pred = np.append(pred, pred[:1])"), 2, PRED
    ),
    Case(
        F_SHAPE, "predict-column-vector", shape_case(predict="pred = pred.reshape(-1, 1)"), 2, PRED
    ),
    Case(F_SHAPE, "predict-scalar", shape_case(predict="pred = self.major_"), 2, PRED),
    Case(
        F_SHAPE,
        "predict-too-short-n2",
        shape_case(2, predict="pred = pred[:-1]"),
        2,
        PRED,
        marks=SLOW,
    ),
    Case(
        F_SHAPE,
        "proba-negative",
        shape_case(proba=NEGATIVE),
        2,
        ("plugcfg", FOLD, PROBA),
    ),
    Case(
        F_SHAPE,
        "proba-above-one",
        shape_case(proba="P[:] = -0.1\nP[:, 0] = 1 + 0.1 * (k - 1)"),
        2,
        ("plugcfg", FOLD, PROBA),
    ),
    Case(F_SHAPE, "proba-nan", shape_case(proba="P[0, 0] = np.nan"), 2, ("plugcfg", FOLD, PROBA)),
    Case(
        F_SHAPE,
        "proba-rows-not-summing-to-1",
        shape_case(proba="P[:] = 0.5"),
        2,
        ("plugcfg", FOLD, PROBA),
    ),
    Case(
        F_SHAPE, "proba-too-few-rows", shape_case(proba="P = P[:-1]"), 2, ("plugcfg", FOLD, PROBA)
    ),
    Case(
        F_SHAPE,
        "proba-too-few-columns",
        shape_case(proba="P = P[:, :-1]"),
        2,
        ("plugcfg", FOLD, PROBA),
    ),
    Case(
        F_SHAPE,
        "decision-function-too-few-rows",
        shape_case(decision="D = D[:-1]"),
        2,
        ("plugcfg", FOLD, "decision_function"),
    ),
]


# ------------------------------------------------------------------ protected --out
F_PROT = "protected-out"
SEEDED = "seedcfg/s.toml"


def run_out(out: str, config: str = "configs/a.toml", command: str = "run", *more: str):
    def setup(env: Env):
        if out == "reflink":
            (env.proj / "reflink").symlink_to("results/reference")
        return [command, "-q", config, "--out", out, "--n-jobs", "1", *more]

    return setup


def check_out_changed(out: str, *more: str):
    def setup(env: Env):
        env.text("configs/a.toml", cfg_text("stratified"))  # a changed model
        return ["check", "-q", "configs/a.toml", "--out", out, "--n-jobs", "1", *more]

    return setup


def _edit_seeds(env: Env) -> None:
    path = env.proj / "seeds" / ANN
    path.write_text(path.read_text("utf-8").replace('"support"', '"condemn"', 1), "utf-8")


def after_run_out_data_derived(then: list[str]):
    def setup(env: Env):
        r = env.run(["run", "-q", SEEDED, "--out", "data/derived", "--n-jobs", "1"])
        assert r.code == 2, r.err
        _edit_seeds(env)
        return then

    return setup


def tmpdir_independent(env: Env):
    """check --update with one TMPDIR, then another: the same reference config.toml."""
    first = env.tmpdir / "x"
    first.mkdir()
    r = env.run(
        ["check", "--update", "-q", "--n-jobs", "1", "configs/a.toml"], env={"TMPDIR": str(first)}
    )
    assert r.code == 0, r.err
    env.first_config = (env.proj / "results/reference/a/config.toml").read_bytes()  # type: ignore[attr-defined]
    second = env.tmpdir / "y" / "deeper" / "still"
    second.mkdir(parents=True)
    return ["check", "--update", "-q", "--n-jobs", "1", "configs/a.toml"], {
        "env": {"TMPDIR": str(second)}
    }


def _same_config_any_tmpdir(env: Env, res: Result):
    b = (env.proj / "results/reference/a/config.toml").read_bytes()
    assert env.first_config == b, "reference config.toml differs with TMPDIR"  # type: ignore[attr-defined]


def real_reference_config(env: Env):
    text = (REPO / "results" / "reference" / "majority" / "config.toml").read_text("utf-8")
    text = re.sub(r"n_repeats = \d+", "n_repeats = 1", text).replace(
        "bootstrap = 1000", "bootstrap = 0"
    )
    env.text("results/reference/majority/config.toml", text)
    return ["run", "-q", "results/reference/majority/config.toml", "--out", "runs", "--n-jobs", "1"]


def rerun_run_config(env: Env):
    r = env.run(["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"])
    assert r.code == 0, r.err
    return ["run", "-q", "runs/a/config.toml", "--out", "runs2", "--n-jobs", "1"]


REF = ("--out", "reference")
PROT_CASES = [
    Case(F_PROT, "run-out-reference", run_out("results/reference"), 2, REF),
    Case(F_PROT, "run-out-inside-reference", run_out("results/reference/sub"), 2, REF),
    Case(F_PROT, "run-out-reference-dotdot", run_out("results/../results/reference"), 2, REF),
    Case(F_PROT, "run-out-link-to-reference", run_out("reflink"), 2, REF, new=("proj/reflink",)),
    Case(
        F_PROT,
        "check-out-reference-changed-model",
        check_out_changed("results/reference"),
        2,
        REF,
        changed=("proj/configs/a.toml",),
    ),
    Case(
        F_PROT,
        "check-update-out-reference",
        check_out_changed("results/reference", "--update"),
        2,
        REF,
        changed=("proj/configs/a.toml",),
    ),
    Case(F_PROT, "run-out-seeds", run_out("seeds", SEEDED), 2, ("--out", "seeds")),
    Case(
        F_PROT, "run-out-seeds-contrast", run_out("seeds/contrast", SEEDED), 2, ("--out", "seeds")
    ),
    Case(F_PROT, "run-out-configs", run_out("configs"), 2, ("--out", "configs")),
    Case(
        F_PROT,
        "run-out-data-derived",
        run_out("data/derived", SEEDED),
        2,
        ("--out", "data/derived"),
    ),
    Case(F_PROT, "check-out-seeds", run_out("seeds", SEEDED, "check"), 2, ("--out", "seeds")),
    Case(
        F_PROT,
        "check-out-data-derived",
        run_out("data/derived", SEEDED, "check"),
        2,
        ("--out", "data/derived"),
    ),
    Case(
        F_PROT,
        "derive-after-run-out-data-derived",
        after_run_out_data_derived(["derive"]),
        0,
        ok=True,
        changed=("proj/data/derived*", "proj/seeds/*"),
    ),
    Case(
        F_PROT,
        "run-after-run-out-data-derived",
        after_run_out_data_derived(["run", "-q", SEEDED, "--out", "runs", "--n-jobs", "1"]),
        0,
        ok=True,
        changed=("proj/data/derived*", "proj/seeds/*"),
    ),
    Case(
        F_PROT,
        "reference-config-independent-of-tmpdir",
        tmpdir_independent,
        0,
        ok=True,
        changed=("proj/results/reference*",),
        extra=_same_config_any_tmpdir,
    ),
    Case(
        F_PROT,
        "rerun-a-reference-config",
        lambda env: [
            "run",
            "-q",
            "results/reference/a/config.toml",
            "--out",
            "runs",
            "--n-jobs",
            "1",
        ],
        0,
        ok=True,
    ),
    Case(
        F_PROT,
        "rerun-the-projects-committed-reference-config",
        real_reference_config,
        0,
        ok=True,
    ),
    Case(F_PROT, "rerun-a-run-folders-config", rerun_run_config, 0, ok=True),
]


# ------------------------------------------------------------------ symbolic links
F_LINK = "symlinks"
UPDATE_A = ["check", "--update", "-q", "--n-jobs", "1", "configs/a.toml"]
CHECK_A = ["check", "-q", "--n-jobs", "1", "configs/a.toml"]


def _outside(env: Env, rel: str) -> Path:
    """A copy of a reference entry (or one of its files) outside the project."""
    src, dest = env.proj / "results" / "reference" / rel, env.tmp / "outside" / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copy2(src, dest)
    return dest


def link_file(entry: str, command: list[str], fname: str = "metrics.json", text: str | None = None):
    def setup(env: Env):
        path = env.proj / "results" / "reference" / entry / fname
        dest = _outside(env, f"{entry}/{fname}")
        if text is not None:
            dest.write_text(text, encoding="utf-8")
        path.unlink()
        path.symlink_to(dest)
        return command

    return setup


def link_entry(entry: str, command: list[str]):
    def setup(env: Env):
        dest = _outside(env, entry)
        shutil.rmtree(env.proj / "results" / "reference" / entry)
        (env.proj / "results" / "reference" / entry).symlink_to(dest)
        return command

    return setup


def base_with_link(kind: str):
    """A git revision whose reference holds a link (the work tree's reference is plain)."""

    def setup(env: Env):
        ref = env.proj / "results" / "reference"
        plain = env.tmp / "plain-reference"
        shutil.copytree(ref, plain, symlinks=True)
        git(env, "init", "-q")
        git(env, "add", "-A")
        git(env, "commit", "-q", "-m", "one")
        ref_b = ref / "b"
        if kind == "absolute":
            dest = _outside(env, "b/metrics.json")
            (ref_b / "metrics.json").unlink()
            (ref_b / "metrics.json").symlink_to(dest)
        elif kind == "dotdot":
            _outside(env, "b/metrics.json")
            (ref_b / "metrics.json").unlink()
            (ref_b / "metrics.json").symlink_to("../../../../outside/b/metrics.json")
        else:  # a folder link to a folder of the repository outside the reference
            shutil.copytree(ref_b, env.proj / "elsewhere" / "b")
            shutil.rmtree(ref_b)
            ref_b.symlink_to("../../elsewhere/b")
        git(env, "add", "-A")
        git(env, "commit", "-q", "-m", "two")
        shutil.rmtree(ref)
        shutil.copytree(plain, ref, symlinks=True)
        shutil.rmtree(plain)
        return [
            "check",
            "-q",
            "--n-jobs",
            "1",
            "configs/a.toml",
            "configs/b.toml",
            "--base",
            "HEAD",
        ]

    return setup


def reference_is_link(env: Env):
    store = env.tmp / "refstore"
    shutil.move(env.proj / "results" / "reference", store)
    (env.proj / "results" / "reference").symlink_to(store)
    env.text("configs/a.toml", cfg_text("stratified"))
    return UPDATE_A


def run_folder_is_link(env: Env):
    r = env.run(
        ["run", "-q", "configs/a.toml", "--out", str(env.tmp / "elsewhere"), "--n-jobs", "1"]
    )
    assert r.code == 0, r.err
    (env.proj / "runs").mkdir()
    (env.proj / "runs" / "a").symlink_to(env.tmp / "elsewhere" / "a")
    return ["run", "-q", "configs/a.toml", "--out", "runs", "--force", "--n-jobs", "1"]


def derive_out_is_link(env: Env):
    store = env.tmp / "datastore"
    shutil.copytree(env.proj / "data" / "derived", store)
    edit_json(store / "dataset_info.json", lambda d: d.update(content_hash="0" * 64))
    (env.proj / "dlink").symlink_to(store)
    return ["derive", "--out", "dlink"]


def dangling_in_reference(env: Env):
    path = env.proj / "results" / "reference" / "a" / "metrics.json"
    path.unlink()
    path.symlink_to(env.tmp / "nowhere.json")
    return CHECK_A


LINK_CASES = [
    Case(
        F_LINK,
        "update-keeps-entry-with-file-link-out",
        link_file("b", UPDATE_A),
        2,
        (LINK, "reference/b/metrics.json"),
        new=("outside*",),
    ),
    Case(
        F_LINK,
        "update-keeps-entry-that-is-a-folder-link-out",
        link_entry("b", UPDATE_A),
        2,
        (LINK, "reference/b"),
        new=("outside*",),
    ),
    Case(
        F_LINK,
        "check-reads-file-link-out",
        link_file("a", CHECK_A),
        2,
        (LINK, "reference/a/metrics.json"),
    ),
    Case(F_LINK, "check-reads-folder-link-out", link_entry("a", CHECK_A), 2, (LINK, "reference/a")),
    Case(
        F_LINK,
        "check-parses-foreign-file-through-link",
        link_file("a", CHECK_A, "predictions.jsonl", "root:x:0:0:secret\n"),
        2,
        (LINK, "reference/a/predictions.jsonl"),
    ),
    Case(
        F_LINK,
        "check-dangling-link-in-reference",
        dangling_in_reference,
        2,
        (LINK, "reference/a/metrics.json"),
    ),
    Case(
        F_LINK, "base-reference-holds-absolute-link", base_with_link("absolute"), 2, (LINK, "HEAD")
    ),
    Case(F_LINK, "base-reference-holds-dotdot-link", base_with_link("dotdot"), 2, (LINK, "HEAD")),
    Case(F_LINK, "base-reference-holds-folder-link", base_with_link("folder"), 2, (LINK, "HEAD")),
    Case(
        F_LINK,
        "update-reference-folder-is-a-link",
        reference_is_link,
        2,
        (LINK, "results/reference"),
        changed=("proj/configs/a.toml",),
    ),
    Case(F_LINK, "run-folder-is-a-link", run_folder_is_link, 2, (LINK, "runs/a")),
    Case(F_LINK, "derive-out-is-a-link", derive_out_is_link, 2, (LINK, "dlink")),
]


# ------------------------------------------------------------------ unbounded work
F_BOUND = "unbounded-work"


def huge_sweep(env: Env):
    vals = lambda lo: list(range(lo, lo + 40))  # noqa: E731
    env.text(
        "configs/sweep.toml",
        cfg_text() + "[sweep]\n"
        f'"protocol.n_splits" = {vals(2)}\n"protocol.n_repeats" = {vals(1)}\n'
        f'"metrics.bootstrap" = {vals(0)}\n'
        f'"metrics.ci" = {[round(0.5 + i / 100, 2) for i in range(40)]}\n'
        f'"protocol.test_size" = {[round(0.1 + i / 100, 2) for i in range(40)]}\n',
    )
    return ["run", "-q", "configs/sweep.toml", "--out", "runs"]


def huge_inner_cv(env: Env):
    env.text(
        "configs/sweep.toml",
        cfg_text("tfidf_svm") + "[sweep]\n"
        f'"model.C" = {[round(0.01 * (i + 1), 2) for i in range(1000)]}\n'
        f'"model.min_df" = {list(range(1, 101))}\nselect = "inner_cv"\n',
    )
    return ["run", "-q", "configs/sweep.toml", "--out", "runs"]


def check_huge_boot(env: Env):
    env.text("configs/a.toml", cfg_text("stratified"))
    return ["check", "-q", "configs/a.toml", "--n-jobs", "1", "--n-boot", "1000000000"]


BOUND_CASES = [
    Case(
        F_BOUND,
        "sweep-product-1e8",
        huge_sweep,
        2,
        ("sweep", re.compile(r"102[,_ ]?400[,_ ]?000")),
        new=("proj/configs/*",),
    ),
    Case(
        F_BOUND,
        "sweep-inner-cv-grid-1e5",
        huge_inner_cv,
        2,
        ("sweep", re.compile(r"100[,_ ]?00\d")),
        new=("proj/configs/*",),
    ),
    Case(
        F_BOUND,
        "compare-n-boot-1e9",
        lambda env: [
            "compare",
            "results/reference/a",
            "results/reference/b",
            "--n-boot",
            "1000000000",
        ],
        2,
        ("--n-boot",),
    ),
    Case(
        F_BOUND,
        "check-n-boot-1e9",
        check_huge_boot,
        2,
        ("--n-boot",),
        changed=("proj/configs/a.toml",),
    ),
]


# ------------------------------------------------------------------ silent statistics
F_STATS = "silent-statistics"


def bootstrap_one(env: Env):
    env.text("configs/a.toml", cfg_text() + "[metrics]\nbootstrap = 1\n")
    return ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"]


SELF = ["compare", "results/reference/a", "results/reference/a", "--n-boot", "100"]
STATS_CASES = [
    Case(
        F_STATS, "bootstrap-1", bootstrap_one, 2, ("'bootstrap'",), changed=("proj/configs/a.toml",)
    ),
    Case(
        F_STATS,
        "compare-max-drop-negative",
        lambda env: [*SELF, "--max-drop", "-0.1"],
        2,
        ("--max-drop",),
    ),
    Case(
        F_STATS,
        "compare-max-drop-nan",
        lambda env: [*SELF, "--max-drop", "nan"],
        2,
        ("--max-drop",),
    ),
    Case(
        F_STATS,
        "check-max-drop-negative",
        lambda env: [*CHECK_A, "--max-drop", "-0.1"],
        2,
        ("--max-drop",),
    ),
    Case(
        F_STATS,
        "check-max-drop-nan",
        lambda env: [*CHECK_A, "--max-drop", "nan"],
        2,
        ("--max-drop",),
    ),
]


# ------------------------------------------------------------------ compare: what pairs
F_CMP = "compare-pairing"


def different_tasks(folders: bool):
    def setup(env: Env):
        g, p = gold_pred()
        both = ("support", "condemn")  # the same label list (data of these two), other task
        fake_run(env.proj / "base", "m", g % 2, p % 2, task="joint", labels=both)
        fake_run(env.proj / "cand", "m", g % 2, p % 2, task="stance", labels=both)
        return ["compare", "base" if folders else "base/m", "cand" if folders else "cand/m"]

    return setup


def different_data(*more: str):
    def setup(env: Env):
        g, p = gold_pred()
        fake_run(env.proj / "base", "m", g, p)
        fake_run(env.proj / "cand", "m", g, p, data_hash="e" * 64)
        return ["compare", "base/m", "cand/m", "--n-boot", "200", *more]

    return setup


def _says_unpaired(env: Env, res: Result):
    assert "unpaired" in res.out.lower(), res.out[:400]


CMP_CASES = [
    Case(
        F_CMP, "different-tasks-same-labels", different_tasks(False), 2, ("task", "joint", "stance")
    ),
    Case(F_CMP, "different-tasks-folders", different_tasks(True), 2, ("task", "joint", "stance")),
    Case(F_CMP, "different-datasets-refused", different_data(), 2, ("--unpaired",)),
    Case(
        F_CMP,
        "different-datasets-with-unpaired",
        different_data("--unpaired"),
        0,
        ok=True,
        extra=_says_unpaired,
    ),
]


# ------------------------------------------------------------------ tracebacks
F_TB = "tracebacks"


def extends_chain(depth: int):
    def setup(env: Env):
        for i in range(depth):
            env.text(f"configs/chain/c{i}.toml", f'extends = "c{i + 1}.toml"\n')
        env.text(f"configs/chain/c{depth}.toml", cfg_text(base="../_base.toml"))
        return ["run", "-q", "configs/chain/c0.toml", "--out", "runs", "--n-jobs", "1"]

    return setup


def predictions_missing(fieldname: str):
    def setup(env: Env):
        run = env.proj / "results" / "reference" / "a"
        rows = [json.loads(x) for x in (run / "predictions.jsonl").read_text().splitlines()]
        for r in rows:
            r.pop(fieldname)
        redigest(run, rows)
        return ["compare", "results/reference/a", "results/reference/b", "--n-boot", "100"]

    return setup


def environment_not_object(text: str):
    def setup(env: Env):
        (env.proj / "results" / "reference" / "environment.json").write_text(text)
        return CHECK_A

    return setup


def _copy_reference(env: Env) -> None:
    """results/reference copied to copy/, its entry a completed into a run folder."""
    shutil.copytree(env.proj / "results" / "reference", env.proj / "copy")
    for f in ("folds.json", "manifest.json", "misclassified.jsonl", "report.md", "report.html"):
        (env.proj / "copy" / "a" / f).write_text("{}\n" if f.endswith(".json") else "")


def confusion_string(env: Env):
    edit_json(
        env.proj / "results/reference/a/metrics.json",
        lambda m: m.update(confusion_matrix="[[9, 0], [0, 9]]"),
        digest=True,
    )
    _copy_reference(env)
    return ["report", "copy/a"]


def corrupt_parquet(command: str, name: str = "train", how: str = "garbage"):
    def setup(env: Env):
        path = env.proj / "data" / "derived" / "data" / f"{name}.parquet"
        data = path.read_bytes()
        path.write_bytes(
            b"PAR1 not a parquet file PAR1" if how == "garbage" else data[: len(data) // 2]
        )
        if command == "derive":
            return ["derive"]
        if name == "contrast":
            env.text(SEEDED, cfg_text(base="_seed.toml", extra="[views]\ncontrast = true\n"))
        return ["run", "-q", SEEDED, "--out", "runs", "--n-jobs", "1"]

    return setup


def _parquet_readable(env: Env, res: Result):
    import pyarrow.parquet as pq

    for p in (env.proj / "data" / "derived" / "data").glob("*.parquet"):
        pq.read_table(p)  # raises when still corrupt


def update_different_views(env: Env):
    env.text("seedcfg/t.toml", cfg_text(base="_seed.toml", extra="[views]\ncross_target = true\n"))
    return ["check", "--update", "-q", "--n-jobs", "1", "configs/a.toml", SEEDED, "seedcfg/t.toml"]


def format_for_dat(table: str):
    def setup(env: Env):
        env.text("d.dat", "id,text,label\n" + ROWS)
        if table == "dataset":
            file_config(env, "d.dat", 'format = "csv"\n')
        else:
            env.text("t.csv", "id,text,label\n" + ROWS.replace("Row", "Test row"))
            env.text(
                "c.toml",
                '[model]\nname = "majority"\n[protocol]\nkind = "split"\n'
                '[metrics]\nbootstrap = 0\n[dataset]\npath = "t.csv"\n'
                + LABELS
                + '[test]\npath = "d.dat"\nformat = "csv"\n'
                + LABELS.replace("dataset", "test"),
            )
        return ["run", "-q", "c.toml", "--out", "runs", "--n-jobs", "1"]

    return setup


TB_CASES = [
    Case(
        F_TB,
        "extends-chain-1500-deep",
        extends_chain(1500),
        2,
        ("'extends'",),
        new=("proj/configs/chain*",),
    ),
    Case(
        F_TB,
        "predictions-missing-group-field",
        predictions_missing("group"),
        2,
        ("predictions.jsonl", "'group'"),
        changed=("proj/results/reference/a/*",),
    ),
    Case(
        F_TB,
        "predictions-missing-predicted-field",
        predictions_missing("predicted"),
        2,
        ("predictions.jsonl", "'predicted'"),
        changed=("proj/results/reference/a/*",),
    ),
    Case(
        F_TB,
        "predictions-missing-repeat-field",
        predictions_missing("repeat"),
        2,
        ("predictions.jsonl", "'repeat'"),
        changed=("proj/results/reference/a/*",),
    ),
    Case(
        F_TB, "environment-json-a-number", environment_not_object("42\n"), 2, ("environment.json",)
    ),
    Case(
        F_TB,
        "environment-json-a-list",
        environment_not_object("[1, 2]\n"),
        2,
        ("environment.json",),
    ),
    Case(
        F_TB,
        "confusion-matrix-string-report",
        confusion_string,
        2,
        ("metrics.json", "confusion_matrix"),
        new=("proj/copy*",),
    ),
    Case(
        F_TB,
        "corrupt-parquet-derive-rederives",
        corrupt_parquet("derive"),
        0,
        ok=True,
        changed=("proj/data/derived*",),
        extra=_parquet_readable,
    ),
    Case(
        F_TB,
        "truncated-parquet-derive-rederives",
        corrupt_parquet("derive", how="cut"),
        0,
        ok=True,
        changed=("proj/data/derived*",),
        extra=_parquet_readable,
    ),
    Case(
        F_TB,
        "corrupt-parquet-run",
        corrupt_parquet("run"),
        0,
        ok=True,
        changed=("proj/data/derived*",),
    ),
    Case(
        F_TB,
        "corrupt-contrast-parquet-run",
        corrupt_parquet("run", "contrast"),
        0,
        ok=True,
        changed=("proj/data/derived*", f"proj/{SEEDED}"),
    ),
    Case(
        F_TB,
        "check-update-configs-with-different-views",
        update_different_views,
        0,
        ok=True,
        changed=("proj/results/reference*",),
    ),
    Case(F_TB, "format-csv-for-dat-file", format_for_dat("dataset"), 0, ok=True),
    Case(F_TB, "format-csv-for-dat-test-file", format_for_dat("test"), 0, ok=True),
]


# ------------------------------------------------------------------ OS errors
F_OS = "os-errors"


def full_disk(command: str):
    def setup(env: Env):
        mnt = env.tmpfs("mnt", "2m")
        if command == "run":
            argv = ["run", "-q", "configs/a.toml", "--out", str(mnt / "runs"), "--n-jobs", "1"]
        elif command == "update":
            shutil.copytree(env.proj / "results" / "reference", mnt / "reference")
            env.text("configs/a.toml", cfg_text("stratified"))
            argv = [*UPDATE_A, "--reference", str(mnt / "reference")]
        elif command == "derive":
            argv = ["derive", "--out", str(mnt / "data")]
        else:
            argv = ["leaderboard", "results/reference", "--out", str(mnt / "board.md")]
        env.fill(mnt)
        return argv

    return setup


def full_tmpdir(env: Env):
    mnt = env.tmpfs("tmp/full", "1m")
    env.fill(mnt, 8192)  # room for tempfile's probe, not for a run
    env.text("configs/a.toml", cfg_text("stratified"))
    return CHECK_A, {"env": {"TMPDIR": str(mnt)}}


def read_only(command: str):
    def setup(env: Env):
        mnt = env.tmpfs("ro", "4m")
        if command == "run":
            (mnt / "runs").mkdir()
            argv = ["run", "-q", "configs/a.toml", "--out", str(mnt / "runs"), "--n-jobs", "1"]
        elif command == "update":
            shutil.copytree(env.proj / "results" / "reference", mnt / "reference")
            env.text("configs/a.toml", cfg_text("stratified"))
            argv = [*UPDATE_A, "--reference", str(mnt / "reference")]
        else:
            shutil.copytree(env.proj / "data" / "derived", mnt / "data")
            edit_json(mnt / "data" / "dataset_info.json", lambda d: d.update(content_hash="0" * 64))
            argv = ["derive", "--out", str(mnt / "data")]
        env.remount_ro(mnt)
        return argv

    return setup


CAPLESS = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


def denied(what: str):
    def setup(env: Env):
        if shutil.which("setpriv") is None:
            pytest.skip("no setpriv")
        if what == "config":
            (env.proj / "configs" / "a.toml").chmod(0)
            argv = ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"]
        elif what == "data":
            (env.proj / "d.csv").chmod(0)
            argv = ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"]
        elif what == "results":
            env.text("configs/a.toml", cfg_text("stratified"))
            (env.proj / "results").chmod(0o555)
            argv = UPDATE_A
        elif what == "derived":
            edit_json(
                env.proj / "data/derived/dataset_info.json",
                lambda d: d.update(content_hash="0" * 64),
            )
            (env.proj / "data").chmod(0o555)
            argv = ["derive"]
        else:  # a run folder made read-only
            r = env.run(["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"])
            assert r.code == 0
            (env.proj / "runs" / "a").chmod(0o555)
            argv = ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1", "--force"]
        return argv, {"prefix": CAPLESS}

    return setup


def summary_folder(passing: bool, command: str = "compare"):
    def setup(env: Env):
        (env.tmp / "summary").mkdir()
        e = {"GITHUB_STEP_SUMMARY": str(env.tmp / "summary")}
        if command == "check":
            return CHECK_A, {"env": e}
        g, p = gold_pred(200, 0.9)
        fake_run(env.proj / "base", "m", g, p)
        fake_run(env.proj / "cand", "m", g, p if passing else gold_pred(200, 0.3, 2)[1])
        return ["compare", "base/m", "cand/m", "--n-boot", "300"], {"env": e}

    return setup


def summary_full(env: Env):
    mnt = env.tmpfs("mnt", "1m")
    env.fill(mnt)
    return CHECK_A, {"env": {"GITHUB_STEP_SUMMARY": str(mnt / "summary.md")}}


def summary_missing_folder(env: Env):
    return CHECK_A, {"env": {"GITHUB_STEP_SUMMARY": str(env.tmp / "no" / "such" / "summary.md")}}


def _names_no_staging(env: Env, res: Result):
    assert ".partial" not in res.first_err and "stance-bench-check-" not in res.first_err, (
        res.first_err
    )


DENIED = NEEDS_ROOT + SLOW
OS_CASES = [
    Case(
        F_OS,
        "full-disk-run-out",
        full_disk("run"),
        2,
        ("mnt/runs", NSPACE),
        new=("mnt*",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "full-disk-check-update-reference",
        full_disk("update"),
        2,
        ("mnt/reference", NSPACE),
        new=("mnt*",),
        changed=("proj/configs/a.toml",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "full-disk-derive-out",
        full_disk("derive"),
        2,
        ("mnt/data", NSPACE),
        new=("mnt*",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "full-disk-leaderboard-out",
        full_disk("leaderboard"),
        2,
        ("mnt/board.md", NSPACE),
        new=("mnt*",),
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "full-tmpdir-check",
        full_tmpdir,
        2,
        ("TMPDIR", NSPACE),
        new=("tmp*",),
        changed=("proj/configs/a.toml",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "read-only-run-out",
        read_only("run"),
        2,
        ("ro/runs", READONLY),
        new=("ro*",),
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "read-only-check-update-reference",
        read_only("update"),
        2,
        ("ro/reference", READONLY),
        new=("ro*",),
        changed=("proj/configs/a.toml",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "read-only-derive-out",
        read_only("derive"),
        2,
        ("ro/data", READONLY),
        new=("ro*",),
        extra=_names_no_staging,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS,
        "permission-config-unreadable",
        denied("config"),
        2,
        ("configs/a.toml", READONLY),
        marks=DENIED,
    ),
    Case(
        F_OS,
        "permission-data-file-unreadable",
        denied("data"),
        2,
        ("d.csv", READONLY),
        marks=DENIED,
    ),
    Case(
        F_OS,
        "permission-results-folder-read-only",
        denied("results"),
        2,
        ("results/reference", READONLY),
        changed=("proj/configs/a.toml",),
        extra=_names_no_staging,
        marks=DENIED,
    ),
    Case(
        F_OS,
        "permission-data-folder-read-only",
        denied("derived"),
        2,
        ("data/derived", READONLY),
        extra=_names_no_staging,
        marks=DENIED,
    ),
    Case(
        F_OS,
        "permission-run-folder-read-only",
        denied("run-folder"),
        2,
        ("runs/a", READONLY),
        extra=_names_no_staging,
        marks=DENIED,
    ),
    Case(F_OS, "summary-is-folder-compare-pass", summary_folder(True), 0, ok=True, warnings=1),
    Case(F_OS, "summary-is-folder-compare-fail", summary_folder(False), 1, ok=True, warnings=1),
    Case(
        F_OS, "summary-is-folder-check-pass", summary_folder(True, "check"), 0, ok=True, warnings=1
    ),
    Case(
        F_OS,
        "summary-on-full-disk-check-pass",
        summary_full,
        0,
        ok=True,
        warnings=1,
        marks=NEEDS_ROOT,
    ),
    Case(
        F_OS, "summary-in-missing-folder-check-pass", summary_missing_folder, 0, ok=True, warnings=1
    ),
]


# ------------------------------------------------------------------ odd files
F_ODD = "odd-files"


def data_case(name: str, content: str | bytes, extra: str = "", **kw):
    def setup(env: Env):
        env.text(name, content)
        file_config(env, name, extra, **kw)
        return ["run", "-q", "c.toml", "--out", "runs", "--n-jobs", "1"]

    return setup


ONE_CLASS = "id,text,label\n" + "".join(f"{i},Row {i} says a thing.,A\n" for i in range(9))
ONE_GROUP = "id,text,label,group\n" + "".join(
    f"{i},Row {i} says a thing.,{'AFN'[i % 3]},g1\n" for i in range(12)
)
UNCLOSED = 'id,text,label\n1,one,A\n2,two,F\n3,three,N\n4,four,A\n5,"five,F\n6,six,N\n7,seven,A\n'
ARRAY = json.dumps([{"text": f"t {i}", "label": "AFN"[i % 3]} for i in range(12)])


def _no_logo_advice(env: Env, res: Result):
    assert "leave_one_group_out" not in res.first_err, "advises leave_one_group_out with one group"


def bom_config(env: Env):
    path = env.proj / "configs" / "a.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"]


def crlf_reference(fname: str):
    def setup(env: Env):
        path = env.proj / "results" / "reference" / "a" / fname
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        return CHECK_A

    return setup


def _says_crlf(env: Env, res: Result):
    assert re.search(r"CRLF|line end", res.out + res.err, re.I), res.out[:500]


ODD_CASES = [
    Case(F_ODD, "jsonl-empty-file", data_case("d.jsonl", ""), 2, ("d.jsonl", "empty")),
    Case(F_ODD, "jsonl-only-blank-lines", data_case("d.jsonl", "\n\n\n"), 2, ("d.jsonl", "empty")),
    Case(F_ODD, "csv-header-only", data_case("e.csv", "id,text,label\n"), 2, ("e.csv", "row")),
    Case(
        F_ODD,
        "csv-one-row",
        data_case("e.csv", "id,text,label\n1,Only one row.,A\n"),
        2,
        ("e.csv", "row"),
    ),
    Case(F_ODD, "csv-one-class", data_case("e.csv", ONE_CLASS), 2, ("e.csv", "label")),
    Case(
        F_ODD,
        "csv-single-group",
        data_case("e.csv", ONE_GROUP, 'columns = { group = "group" }\n'),
        2,
        ("e.csv", "group"),
        extra=_no_logo_advice,
    ),
    Case(
        F_ODD,
        "csv-single-group-leave-one-group-out",
        data_case(
            "e.csv",
            ONE_GROUP,
            'columns = { group = "group" }\n',
            protocol='kind = "leave_one_group_out"\n',
        ),
        2,
        ("e.csv", "group"),
        extra=_no_logo_advice,
    ),
    Case(
        F_ODD, "jsonl-holds-a-json-array", data_case("d.jsonl", ARRAY), 2, ("d.jsonl", "JSON array")
    ),
    Case(F_ODD, "json-holds-a-json-array", data_case("d.json", ARRAY), 2, ("d.json", "JSON array")),
    Case(
        F_ODD,
        "csv-semicolon-delimited",
        data_case("e.csv", "id;text;label\n" + ROWS.replace(",", ";")),
        2,
        ("e.csv", "';'", "delimiter"),
    ),
    Case(
        F_ODD,
        "csv-header-trailing-space",
        data_case("e.csv", "id,text ,label\n" + ROWS),
        2,
        ("'text '",),
    ),
    Case(
        F_ODD, "csv-tokenizer-error-line-is-1-based", data_case("e.csv", UNCLOSED), 2, ("e.csv:6",)
    ),
    Case(
        F_ODD,
        "config-starts-with-bom",
        bom_config,
        2,
        ("a.toml", re.compile(r"BOM|byte order mark", re.I)),
        changed=("proj/configs/a.toml",),
    ),
    Case(
        F_ODD,
        "reference-predictions-crlf",
        crlf_reference("predictions.jsonl"),
        1,
        ok=True,
        extra=_says_crlf,
        warnings=1,
    ),
    Case(
        F_ODD,
        "reference-metrics-crlf",
        crlf_reference("metrics.json"),
        1,
        ok=True,
        extra=_says_crlf,
        warnings=1,
    ),
]


# ------------------------------------------------------------------ silently accepted
F_SIL = "silently-accepted"


def _not_raw_in_reports(ch: str):
    def extra(env: Env, res: Result):
        if res.code == 2:
            return
        for p in (env.proj / "runs").rglob("*"):
            if p.suffix in (".md", ".html"):
                assert ch not in p.read_text("utf-8"), f"raw {ch!r} in {p.name}"

    return extra


NUL_ROWS = "id,text,label\n" + ROWS.replace("Row number 2 ", "Row\0number 2 ")
BIDI_ROWS = "id,text,label\n" + ROWS.replace("Row number", "Row \u202enumber")
EMPTY_GROUP = "id,text,label,group\n" + "".join(
    f"{i},Row {i} says a thing.,{'AFN'[i % 3]},{f'g{i % 4}' if i % 3 else ''}\n" for i in range(12)
)
OBJ_TEXT = "".join(
    json.dumps({"text": {"a": i} if i == 2 else f"Row {i}.", "label": "AFN"[i % 3]}) + "\n"
    for i in range(12)
)
INT_TEXT = "".join(json.dumps({"text": 1000 + i, "label": "AFN"[i % 3]}) + "\n" for i in range(12))
DUP_TEXT = "id,text,text,label\n" + "".join(
    f"{i},Row {i},Other {i},{'AFN'[i % 3]}\n" for i in range(12)
)
TSV_QUOTE = "id\ttext\tlabel\n" + "".join(
    f'{i}\t"Stop" said row {i}, "now"\t{"AFN"[i % 3]}\n' for i in range(12)
)


def parquet_int_text(env: Env):
    import pandas as pd

    pd.DataFrame({"text": list(range(12)), "label": ["AFN"[i % 3] for i in range(12)]}).to_parquet(
        env.proj / "d.parquet"
    )
    file_config(env, "d.parquet")
    return ["run", "-q", "c.toml", "--out", "runs", "--n-jobs", "1"]


def named(name: str):
    def setup(env: Env):
        env.text("configs/a.toml", f'name = "{name}"\n' + cfg_text())
        return ["run", "-q", "configs/a.toml", "--out", "runs", "--n-jobs", "1"]

    return setup


def per_fold_timeout(n_jobs: int):
    def setup(env: Env):
        cfg = plug(env, extra="timeout = 1\n", **hang_source(env.tmp / "mark", first_only=True))
        argv = [
            "run",
            "-q",
            str(cfg.relative_to(env.proj)),
            "--out",
            "runs",
            "--n-jobs",
            str(n_jobs),
        ]
        return argv, {"sub": n_jobs > 1, "timeout": 30}

    return setup


_doc_timeout = docs_say(r"\btimeout\b[^.]{0,200}(fold|second)")
SIL_CASES = [
    Case(
        F_SIL,
        "nul-byte-in-text",
        data_case("e.csv", NUL_ROWS),
        2,
        ("e.csv:3", re.compile(r"NUL|\\x00")),
    ),
    Case(
        F_SIL,
        "bidi-override-in-text",
        data_case("e.csv", BIDI_ROWS),
        0,
        ok=True,
        extra=_not_raw_in_reports("\u202e"),
        alt_error=("e.csv:2",),
    ),
    Case(
        F_SIL,
        "empty-group-cells",
        data_case("e.csv", EMPTY_GROUP, 'columns = { group = "group" }\n'),
        2,
        ("e.csv:2", "group"),
    ),
    Case(F_SIL, "object-in-text-cell", data_case("d.jsonl", OBJ_TEXT), 2, ("d.jsonl:3", "text")),
    Case(
        F_SIL, "integer-text-column-jsonl", data_case("d.jsonl", INT_TEXT), 2, ("d.jsonl", "text")
    ),
    Case(F_SIL, "integer-text-column-parquet", parquet_int_text, 2, ("d.parquet", "text")),
    Case(
        F_SIL,
        "duplicated-text-header",
        data_case("e.csv", DUP_TEXT),
        2,
        ("e.csv", "'text'", re.compile(r"duplicat|twice|more than once")),
    ),
    Case(
        F_SIL,
        "tsv-leading-quote-dropped",
        data_case("d.tsv", TSV_QUOTE),
        0,
        ok=True,
        warnings=1,
        alt_error=("d.tsv", "quoting"),
    ),
    Case(
        F_SIL,
        "name-240-characters",
        named("n" * 240),
        2,
        ("'name'", "a.toml", re.compile(r"too long|characters")),
        changed=("proj/configs/a.toml",),
    ),
    Case(
        F_SIL,
        "name-leaderboard-md",
        named("leaderboard.md"),
        2,
        ("leaderboard.md",),
        changed=("proj/configs/a.toml",),
    ),
    Case(
        F_SIL,
        "name-leaderboard-csv",
        named("leaderboard.csv"),
        2,
        ("leaderboard.csv",),
        changed=("proj/configs/a.toml",),
    ),
    Case(
        F_SIL,
        "per-fold-timeout",
        per_fold_timeout(1),
        2,
        ("plugcfg", FOLD, "timeout"),
        new=("mark",),
    ),
    Case(
        F_SIL,
        "per-fold-timeout-worker",
        per_fold_timeout(2),
        2,
        ("plugcfg", FOLD, "timeout"),
        new=("mark",),
        marks=SLOW,
    ),
    Case(F_SIL, "docs-describe-timeout", _doc_timeout[0], 0, ok=True, extra=_doc_timeout[1]),
]


# ------------------------------------------------------------------ hand-edited reference
F_EDIT = "hand-edited-reference"


def edited_metric(value, command: str):
    def setup(env: Env):
        edit_json(
            env.proj / "results/reference/a/metrics.json",
            lambda m: m["pooled"].update(macro_f1=value),
            allow_nan=True,
        )
        if command == "leaderboard":
            return ["leaderboard", "results/reference", "--no-tiers"]
        if command == "compare":
            return ["compare", "results/reference/b", "results/reference/a", "--n-boot", "100"]
        _copy_reference(env)
        return ["report", "copy/a"]

    return setup


def no_environment(env: Env):
    (env.proj / "results" / "reference" / "environment.json").unlink()
    return CHECK_A


def _mentions_environment(env: Env, res: Result):
    assert "environment.json" in res.out + res.err, (res.out + res.err)[:400]


def labels_string(env: Env):
    edit_json(
        env.proj / "results/reference/a/metrics.json",
        lambda m: m.update(labels="support"),
        digest=True,
    )
    return ["compare", "results/reference/b", "results/reference/a", "--n-boot", "100"]


def _no_letters(env: Env, res: Result):
    assert "'s', 'u'" not in res.first_err, res.first_err


EDITED = ("proj/results/reference/a/metrics.json",)
EDIT_CASES = [
    Case(
        F_EDIT,
        "edited-score-leaderboard",
        edited_metric(0.999, "leaderboard"),
        2,
        ("reference/a", "metrics.json"),
        changed=EDITED,
    ),
    Case(
        F_EDIT,
        "edited-score-compare",
        edited_metric(0.999, "compare"),
        2,
        ("reference/a", "metrics.json"),
        changed=EDITED,
    ),
    Case(
        F_EDIT,
        "edited-score-report",
        edited_metric(0.999, "report"),
        2,
        ("copy/a", "metrics.json"),
        changed=EDITED,
        new=("proj/copy*",),
    ),
    Case(
        F_EDIT,
        "nan-score-leaderboard",
        edited_metric(float("nan"), "leaderboard"),
        2,
        ("metrics.json", re.compile("NaN|nan")),
        changed=EDITED,
    ),
    Case(
        F_EDIT,
        "missing-environment-json",
        no_environment,
        0,
        ok=True,
        warnings=1,
        extra=_mentions_environment,
    ),
    Case(
        F_EDIT,
        "labels-is-a-string",
        labels_string,
        2,
        ("labels", "metrics.json"),
        changed=EDITED,
        extra=_no_letters,
    ),
]


# ------------------------------------------------------------------ injection
F_INJ = "injection"


def card_value(value: str, key: str = "target"):
    def setup(env: Env):
        path = env.proj / "seeds" / ANN
        rows = [json.loads(x) for x in path.read_text("utf-8").splitlines()]
        rows[1][key] = value
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
        return ["derive"]

    return setup


def _card_inert(*raw: str):
    def extra(env: Env, res: Result):
        card = (env.proj / "data" / "derived" / "README.md").read_text("utf-8")
        for r in raw:
            assert r not in card, f"raw {r!r} in the dataset card"

    return extra


def hand_made_count(key: str):
    def setup(env: Env):
        _copy_reference(env)
        edit_json(
            env.proj / "copy" / "a" / "metrics.json",
            lambda m: m.update({key: "<img src=x onerror=alert(1)> [x](http://evil.example)"}),
            digest=True,
        )
        return ["report", "copy/a"]

    return setup


def _reports_inert(env: Env, res: Result):
    if res.code == 2:
        return
    for f in ("report.md", "report.html"):
        assert "<img" not in (env.proj / "copy" / "a" / f).read_text("utf-8"), f"raw <img in {f}"


def csv_formula(lead: str):
    def setup(env: Env):
        g, p = gold_pred()
        run = fake_run(env.proj / "runs", "m", g, p)
        edit_json(
            run / "metrics.json",
            lambda m: m.update(
                config=f'{lead}HYPERLINK("http://evil")', model=f"{lead}cmd|' /C calc'!A0"
            ),
            digest=True,
        )
        return ["leaderboard", "runs", "--format", "csv", "--no-tiers"]

    return setup


def _csv_cells_inert(env: Env, res: Result):
    rows = list(csv.DictReader(io.StringIO(res.out)))
    assert rows, res.out
    for row in rows:
        for col in ("config", "model"):
            assert not row[col].startswith(("=", "+", "-", "@")), f"{col} cell {row[col]!r}"
            assert row[col].startswith("'"), row[col]


def env_var_path(where: str):
    def setup(env: Env):
        if where == "dataset":
            file_config(env, "${BENCH_SECRET_TOKEN}/d.csv")
        else:
            env.text(
                "c.toml",
                '[model]\nname = "majority"\n[dataset]\nseeds = "${BENCH_SECRET_TOKEN}/seeds"\n',
            )
        return ["run", "-q", "c.toml", "--out", "runs", "--n-jobs", "1"], {
            "env": {"BENCH_SECRET_TOKEN": "s3cr3t-tok3n-value"}
        }

    return setup


def _no_secret(env: Env, res: Result):
    assert "s3cr3t-tok3n-value" not in res.err + res.out


CARD = ("proj/seeds/*", "proj/data/derived*")
INJ_CASES = [
    Case(
        F_INJ,
        "card-target-html",
        card_value("<script>alert(1)</script>"),
        0,
        ok=True,
        changed=CARD,
        extra=_card_inert("<script"),
    ),
    Case(
        F_INJ,
        "card-target-markdown-link",
        card_value("[click](http://evil.example)"),
        0,
        ok=True,
        changed=CARD,
        extra=_card_inert("](http://evil"),
    ),
    Case(
        F_INJ,
        "card-holder-html",
        card_value("<img src=x onerror=alert(1)>", "holder"),
        0,
        ok=True,
        changed=CARD,
        extra=_card_inert("<img"),
    ),
    Case(
        F_INJ,
        "report-n-examples-hand-made",
        hand_made_count("n_examples"),
        0,
        ok=True,
        changed=("proj/copy/a/report.*",),
        extra=_reports_inert,
        alt_error=("copy/a", "metrics.json"),
        new=("proj/copy*",),
    ),
    Case(
        F_INJ,
        "report-n-groups-hand-made",
        hand_made_count("n_groups"),
        0,
        ok=True,
        changed=("proj/copy/a/report.*",),
        extra=_reports_inert,
        alt_error=("copy/a", "metrics.json"),
        new=("proj/copy*",),
    ),
    Case(F_INJ, "leaderboard-csv-equals", csv_formula("="), 0, ok=True, extra=_csv_cells_inert),
    Case(F_INJ, "leaderboard-csv-plus", csv_formula("+"), 0, ok=True, extra=_csv_cells_inert),
    Case(F_INJ, "leaderboard-csv-minus", csv_formula("-"), 0, ok=True, extra=_csv_cells_inert),
    Case(F_INJ, "leaderboard-csv-at", csv_formula("@"), 0, ok=True, extra=_csv_cells_inert),
    Case(
        F_INJ,
        "error-echoes-env-var-dataset-path",
        env_var_path("dataset"),
        2,
        ("${BENCH_SECRET_TOKEN}",),
        extra=_no_secret,
        new=("proj/c.toml",),
    ),
    Case(
        F_INJ,
        "error-echoes-env-var-seeds-path",
        env_var_path("seeds"),
        2,
        ("${BENCH_SECRET_TOKEN}",),
        extra=_no_secret,
        new=("proj/c.toml",),
    ),
]


CASES = [
    *EXIT_CASES,
    *STDOUT_CASES,
    *SHAPE_CASES,
    *PROT_CASES,
    *LINK_CASES,
    *BOUND_CASES,
    *STATS_CASES,
    *CMP_CASES,
    *TB_CASES,
    *OS_CASES,
    *ODD_CASES,
    *SIL_CASES,
    *EDIT_CASES,
    *INJ_CASES,
]


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{c.family}:{c.id}", marks=c.marks) for c in CASES]
)
def test_fault(case: Case, env: Env):
    argv, opts = _argv(case.setup(env))
    before = env.snapshot()
    res = env.run(argv, **opts)
    after = env.snapshot()
    files = {"before": before, "after": after, "env": env}
    if case.alt_error is not None and res.code == 2:
        assert_error(res, 2, case.alt_error, **files)
    elif case.ok:
        assert_ok(
            res,
            case.code,
            warnings=case.warnings,
            new=case.new or ("*",),
            changed=case.changed,
            **files,
        )
    else:
        assert_error(res, case.code, case.phrases, new=case.new, changed=case.changed, **files)
    if case.extra is not None:
        case.extra(env, res)


# =====================================================================================
# cases with more than one command, or a process to signal (all slow: processes start)
# =====================================================================================
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(2))
def test_concurrent_updates_of_two_subsets_both_land(env: Env, round_):
    """Two `check --update` of different configs at once: the reference is locked like a
    runs folder, so the second merges into the first's result (before: 4 rounds in 6 lost
    one update)."""
    env.text("configs/a.toml", cfg_text("stratified"))
    env.text("configs/b.toml", cfg_text("stratified", "seed = 8\n"))
    ref = env.proj / "results" / "reference"
    for i in range(12):  # more entries to merge: a wider window
        shutil.copytree(ref / "b", ref / f"k{i:02d}")
        env.text(f"configs/k{i:02d}.toml", cfg_text(extra="seed = 8\n"))
    before = env.snapshot()
    procs = [
        env.popen(["check", "--update", "-q", "--n-jobs", "1", f"configs/{n}.toml"]) for n in "ab"
    ]
    results = [env.finish(p, 90) for p in procs]
    lost = [n for n in "ab" if '"stratified"' not in (ref / n / "config.toml").read_text()]
    assert all(r.code == 0 for r in results), [r.err for r in results]
    assert not lost, f"the update of {lost} was lost"
    assert_files(env, before, env.snapshot(), changed=("proj/results/reference*",), new=("*",))


def _hung(env: Env, command: str, n_jobs: int, first_only: bool = False):
    mark = env.tmp / "mark"
    cfg = plug(env, **hang_source(mark, first_only=first_only))
    argv = [command, "-q", str(cfg.relative_to(env.proj)), "--n-jobs", str(n_jobs)]
    return (argv + ["--out", "runs"] if command == "run" else argv), mark


@pytest.mark.slow
@pytest.mark.parametrize(
    "command, n_jobs, sig, group",
    [
        ("run", 2, signal.SIGTERM, False),
        ("check", 2, signal.SIGTERM, False),
        ("run", 1, signal.SIGTERM, False),
        ("check", 2, signal.SIGINT, True),  # Ctrl-C (the whole group), for comparison
    ],
    ids=["sigterm-run-n2", "sigterm-check-n2", "sigterm-run-n1", "sigint-check-n2-group"],
)
def test_a_signal_while_fitting_is_one_line_and_ends_the_workers(
    env: Env, command, n_jobs, sig, group
):
    """SIGTERM like SIGINT: one line, exit 143 (130), no process of the group left, temp
    folders removed (before: exit 143 silently, 4 workers alive, temp folders left)."""
    argv, mark = _hung(env, command, n_jobs)
    before = env.snapshot()
    proc = env.popen(argv)
    assert wait_for(lambda: mark.is_dir() and any(mark.iterdir())), "the model never started"
    (os.killpg if group else os.kill)(proc.pid, sig)
    res = env.finish(proc, 20)
    assert not res.traceback, res.err[-800:]
    assert res.code == (143 if sig == signal.SIGTERM else 130), res.code
    assert len(res.err_lines) == 1 and res.first_err.startswith("stance-bench: "), res.err[-800:]
    assert not res.orphans, f"processes left: {res.orphans}"
    assert_files(env, before, env.snapshot(), new=("mark*", "proj/configs/*", "proj/runs*"))


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "check"])
def test_a_worker_killed_from_outside_is_one_line_naming_the_fold(env: Env, command):
    """The OOM killer's SIGKILL to a worker: one line naming config and fold, how to re-run;
    exit 2 (check: 1, not reproduced)."""
    argv, mark = _hung(env, command, 2, first_only=True)
    before = env.snapshot()
    proc = env.popen(argv)
    assert wait_for(lambda: mark.is_file() and mark.read_text().strip().isdigit())
    os.kill(int(mark.read_text()), signal.SIGKILL)
    res = env.finish(proc, 40)
    assert_error(
        res,
        2 if command == "run" else 1,
        ("plugcfg", FOLD, re.compile("re-run")),
        before=before,
        after=env.snapshot(),
        env=env,
        new=("mark*", "proj/configs/*", "proj/runs*"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "check"])
def test_a_worker_killed_by_its_model_is_one_line_naming_the_fold(env: Env, command):
    cfg = plug(env, fit="os.kill(os.getpid(), signal.SIGKILL)")
    argv = [command, "-q", str(cfg.relative_to(env.proj)), "--n-jobs", "2"]
    before = env.snapshot()
    res = env.run(argv + (["--out", "runs"] if command == "run" else []), sub=True, timeout=60)
    assert_error(
        res,
        2 if command == "run" else 1,
        ("plugcfg", FOLD, DIED),
        before=before,
        after=env.snapshot(),
        env=env,
        new=("proj/configs/*",),
    )


@pytest.mark.slow
def test_after_kill_9_the_next_check_removes_the_dead_commands_temp_folder(env: Env):
    argv, mark = _hung(env, "check", 1)
    proc = env.popen([argv[0], "--update", *argv[1:]])
    assert wait_for(lambda: mark.is_dir() and any(mark.iterdir()))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kill_session(proc.pid)
    assert list(env.tmpdir.glob("stance-bench-check-*")), "kill -9 left nothing to clean"
    (env.proj / "configs" / "plugcfg.toml").unlink()
    res = env.run(UPDATE_A, sub=True, timeout=60)
    assert res.code == 0, res.err
    assert not list(env.tmpdir.glob("stance-bench*")), "stale temp folders were not removed"


@pytest.mark.slow
def test_after_kill_9_while_staging_the_next_update_removes_the_staging_folder(env: Env):
    """kill -9 while the reference is staged: the reference is the old or the new one, and
    the next update removes the staging folder the dead one left."""
    ref = env.proj / "results" / "reference"
    for i in range(8):  # widen the window: many entries to copy and rank
        shutil.copytree(ref / "b", ref / f"b{i:02d}")
        env.text(f"configs/b{i:02d}.toml", cfg_text(extra="seed = 8\n"))
    env.text("configs/a.toml", cfg_text("stratified"))
    seen = False
    for _ in range(4):
        proc = env.popen(UPDATE_A)
        while proc.poll() is None:
            if list((env.proj / "results").glob(".reference.*.partial")):
                os.kill(proc.pid, signal.SIGKILL)
                seen = True
                break
            time.sleep(0.002)
        proc.wait()
        kill_session(proc.pid)
        if seen:
            break
    if not seen:
        pytest.skip("never caught the update while it staged (a race)")
    assert (ref / "a" / "metrics.json").is_file() and (ref / "b" / "metrics.json").is_file()
    res = env.run(UPDATE_A, sub=True, timeout=90)
    assert res.code == 0, res.err
    assert not list((env.proj / "results").glob(".*.partial")), "stale staging folder kept"
    assert not list(env.tmpdir.glob("stance-bench*")), "stale temp folders kept"


# =====================================================================================
# the mechanisms, where a case cannot show both sides
# =====================================================================================
def test_a_real_interrupt_inside_model_code_stays_an_interrupt():
    """Ctrl-C while a model fits in this process is an interrupt; the same exception
    raised by the model itself, with no signal behind it, is the model's failure."""
    from bench import signals
    from bench.models.plugins import PluginExit, plugin_code

    with signals.handled(), pytest.raises(KeyboardInterrupt), plugin_code("the model"):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # interrupted by the handler
    own = pytest.raises(PluginExit, match="raised KeyboardInterrupt itself")
    with signals.handled(), own, plugin_code("the model"):
        raise KeyboardInterrupt


def test_output_validation_accepts_what_real_models_return():
    """float32 probabilities (rows summing to 1 within float32 rounding), a binary
    decision function, labels as numpy strings, and classes outside the fold: accepted."""
    from bench.runner import validate_output

    labels = ("support", "condemn", "fact")
    rng = np.random.default_rng(0)
    p = rng.random((50, 3)).astype(np.float32)
    p /= p.sum(axis=1, keepdims=True)
    out = validate_output("c", 50, labels, np.array(["fact"] * 50), classes=labels, proba=p)
    assert out.proba is not None and np.allclose(out.proba.sum(axis=1), 1, atol=1e-6)
    two = ("condemn", "fact")
    out = validate_output("c", 4, labels, ["fact"] * 4, classes=two, decision=np.arange(4.0))
    assert out.scores is not None and np.isnan(out.scores[:, 0]).all()  # support: no class
    assert out.scores[:, 2].tolist() == [0, 1, 2, 3]


def test_an_error_shows_an_environment_variable_as_written_never_its_value():
    from bench.config import load

    load._EXPANDED["BENCH_T_DIR"] = "data"  # as if a config had read ${BENCH_T_DIR}
    try:
        assert load.spelled("/p/data/d.csv: dataset file not found") == (
            "/p/${BENCH_T_DIR}/d.csv: dataset file not found"
        )
        assert load.spelled("the dataset has no rows") == "the dataset has no rows"
    finally:
        del load._EXPANDED["BENCH_T_DIR"]
