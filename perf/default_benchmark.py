"""Time the whole default benchmark: against plain scikit-learn, native threads, n-jobs.

    python perf/default_benchmark.py [--runs 3] [--load both|off|on] [--quick]

Each command runs as a whole process; in every round the commands run one after the
other, in an order rotated from round to round, and each ratio is the median of the
ratios within rounds (so a drift in the machine's speed cancels). Printed:

- harness / plain: ``python -m bench run configs --force -q`` against
  ``perf/plain_sklearn.py`` (same data, folds, models and views; no bootstrap, reports
  or files), each with its defaults, then with the same resources (one process, one
  native thread each);
- default threads / one-thread env: the harness as it is against the harness with
  ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1`` in its environment (goal: <= 1.15);
- n-jobs 1 / default: the harness in one process against its default (every core);
- two threads / one thread: one process with the old default of two native threads per
  fit against one;
- whether every harness variant wrote byte-identical metrics.json files, and whether
  the plain script's macro-F1s equal the harness's (it checks them as it runs).

``--load on`` repeats it all while a busy loop keeps one core busy (a child process that
stops by itself after ``--load-seconds`` and is killed when this script ends), as on a
shared machine; ``both`` (the default) does the quiet phase, then the loaded one.
Figures from a shared machine are noisy: quote the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "perf"))

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds of one whole process, which must succeed, and its last output line."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        code = subprocess.call(
            cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=err
        )
        wall = time.perf_counter() - t0
        if code != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"failed ({code}): {' '.join(cmd)}\n{text}")
        out.seek(0)
        lines = out.read().decode(errors="replace").strip().splitlines()
    return wall, lines[-1] if lines else ""


@contextlib.contextmanager
def busy_core(seconds: float) -> Iterator[None]:
    """A child process spinning on one core for at most ``seconds``."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def same_metrics(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.glob("*/metrics.json"))
    theirs = sorted(p.relative_to(b) for p in b.glob("*/metrics.json"))
    return (
        bool(files)
        and files == theirs
        and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)
    )


def phase(args, tmp: Path, configs: list[str]) -> None:
    def harness(name: str) -> list[str]:
        out = str(tmp / name)
        return [sys.executable, "-m", "bench", "run", *configs, "--force", "-q", "--out", out]

    plain = [sys.executable, str(ROOT / "perf" / "plain_sklearn.py")]
    plain += ["--quick"] if args.quick else []
    plain += ["--check", str(tmp / "default")]  # the warm-up writes it first
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "harness": (harness("default"), None),  # defaults: every core, one thread per job
        "harness, one-thread env": (harness("env1"), ONE_THREAD),
        "harness --n-jobs 1": (harness("j1") + ["--n-jobs", "1"], None),
        "harness --n-jobs 1 --threads 2": (
            harness("t2") + ["--n-jobs", "1", "--threads", "2"],
            None,
        ),
        "plain": (plain, None),
        "plain, one-thread env": (plain, ONE_THREAD),
    }
    names = list(commands)
    for name in names:  # warm-up: derived data, caches, page cache
        measure(*commands[name])
    walls: dict[str, list[float]] = {name: [] for name in names}
    last: dict[str, str] = {}
    for r in range(args.runs):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            wall, last[name] = measure(*commands[name])
            walls[name].append(wall)
    print(f"{'command':26} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name in names:
        w = walls[name]
        print(f"{name:26} {statistics.median(w):9.2f} {min(w):7.2f} {max(w):7.2f}")

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(walls[a], walls[b], strict=True))

    print(
        f"harness / plain                        {ratio('harness', 'plain'):.2f}  (defaults each)"
    )
    one = ratio("harness --n-jobs 1", "plain, one-thread env")
    print(f"harness / plain, same resources        {one:.2f}  (one process, one thread each)")
    t_env = ratio("harness", "harness, one-thread env")
    print(f"default threads / one-thread env       {t_env:.2f}  (goal <= 1.15)")
    t_two = ratio("harness --n-jobs 1 --threads 2", "harness --n-jobs 1")
    print(f"two threads / one thread (n-jobs 1)    {t_two:.2f}  (the old default / the new)")
    j = ratio("harness --n-jobs 1", "harness")
    print(f"n-jobs 1 / default n-jobs (all cores)  {j:.2f}")
    base = tmp / "default"
    for name, folder in (("env1", "env1"), ("j1", "j1"), ("t2", "t2")):
        same = same_metrics(base, tmp / folder)
        print(f"metrics.json default vs {name:4}: {'byte-identical' if same else 'DIFFERENT'}")
    print(f"plain macro-F1s vs harness: {last['plain'].strip().splitlines()[-1]}")


def main() -> None:
    from plain_sklearn import QUICK
    from scale import byte_compile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of every command")
    parser.add_argument("--load", choices=("both", "off", "on"), default="both")
    parser.add_argument("--load-seconds", type=float, default=3600.0, help="busy loop bound")
    parser.add_argument(
        "--quick", action="store_true", help=f"one round, configs {', '.join(QUICK)}"
    )
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    byte_compile()
    configs = [f"configs/{name}.toml" for name in QUICK] if args.quick else ["configs"]
    print(f"cores {os.cpu_count()}, {args.runs} round(s), configs: {' '.join(configs)}")
    phases = {"both": ("off", "on"), "off": ("off",), "on": ("on",)}[args.load]
    for load in phases:
        print(f"\n## {'one core kept busy' if load == 'on' else 'no added load'}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            ctx = busy_core(args.load_seconds) if load == "on" else contextlib.nullcontext()
            with ctx:
                phase(args, Path(tmp), configs)
    helps = [measure([sys.executable, "-m", "bench", "--help"])[0] for _ in range(3)]
    print(f"\n--help median {statistics.median(helps):.3f} s")


if __name__ == "__main__":
    main()
