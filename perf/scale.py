"""Scaling: harness vs plain scikit-learn on 1k, 10k, 100k and 300k synthetic examples.

    python perf/scale.py [--sizes 1000 10000 100000 300000] [--runs 1] [--quick]

For each size: writes seeded synthetic data (perf/synth.py), then times, alternately and
each as a whole process, ``python -m bench run`` on a config that reads it (a grouped
80/20 split, TF-IDF word 1-2 + char 2-5 n-grams, linear SVM, metrics with 1000 bootstrap
resamples, predictions and reports written; the views off, as synthetic data has no
contrast suite; ``--cross-target`` turns leave-one-target-out on) and
``perf/plain_scale.py`` (the same load, split, features, fit, predict and macro-F1,
nothing else; its macro-F1 is checked against the harness's). Prints a Markdown table:
median wall time and peak resident memory of each, the median wall ratio and CPU-time
(user + system) ratio of the pairs (CPU time moves less than wall time on a shared
machine), and the harness's time per 1k rows. ``--timeout`` bounds one command (a size
that exceeds it is reported as such and the larger sizes are skipped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "perf"))

CONFIG = """seed = 0
task = "joint"
[dataset]
source = "file"
path = "data.parquet"
[protocol]
kind = "split"
test_size = 0.2
[metrics]
bootstrap = 1000
[views]
cross_target = {cross_target}
contrast = false
[model]
name = "tfidf_svm"
"""


class TimedOut(Exception):
    pass


def byte_compile() -> None:
    """Byte-compile bench/ (into its __pycache__ folders), as ``pip install .`` compiles an
    installed package: the harness's modules then load as an installed copy's do, and as
    scikit-learn's and pandas's do for both commands. Without it, under
    PYTHONDONTWRITEBYTECODE=1, a checkout installed in editable mode compiles every module
    it imports from source in every process."""
    import compileall

    if not compileall.compile_dir(ROOT / "bench", quiet=1):
        raise SystemExit("byte-compiling bench/ failed")


def measure(cmd: list[str], timeout: float) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one whole process,
    which must succeed."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9  # reaped here, not by Popen
                raise TimedOut(" ".join(cmd))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    from synth import make

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 300000])
    parser.add_argument("--runs", type=int, default=1, help="pairs per size (median quoted)")
    parser.add_argument("--timeout", type=float, default=480.0, help="seconds per command")
    parser.add_argument("--cross-target", action="store_true", help="the cross_target view on")
    parser.add_argument("--quick", action="store_true", help="sizes 1000 and 10000, one pair")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = [1000, 10000], 1
    byte_compile()
    print(
        "| rows | harness s | plain s | wall ratio | CPU ratio | harness MiB | plain MiB "
        "| MiB ratio | harness s/1k rows |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        flag = "true" if args.cross_target else "false"
        (tmp / "scale.toml").write_text(CONFIG.format(cross_target=flag), encoding="utf-8")
        for n in args.sizes:
            make(n, seed=n).to_parquet(tmp / "data.parquet", index=False)
            runs = tmp / "runs"
            harness = [sys.executable, "-m", "bench", "run", str(tmp / "scale.toml")]
            harness += ["--force", "-q", "--out", str(runs)]
            plain = [
                sys.executable,
                str(ROOT / "perf" / "plain_scale.py"),
                str(tmp / "data.parquet"),
            ]
            if not args.cross_target:  # plain_scale.py does the main split only
                plain += ["--check", str(runs / "scale")]  # round 0 runs the harness first
            pairs = []
            try:
                for r in range(args.runs):
                    a, b = (harness, plain) if r % 2 == 0 else (plain, harness)
                    first, second = measure(a, args.timeout), measure(b, args.timeout)
                    pairs.append((first, second) if a is harness else (second, first))
            except TimedOut as exc:
                print(f"| {n:,} | > {args.timeout:.0f} s: not finished ({exc}) | | | | | | | |")
                break
            h = statistics.median(a[0] for a, _ in pairs)
            p = statistics.median(b[0] for _, b in pairs)
            ratio = statistics.median(a[0] / b[0] for a, b in pairs)
            cpu = statistics.median(a[1] / b[1] for a, b in pairs)
            hm = max(a[2] for a, _ in pairs)
            pm = max(b[2] for _, b in pairs)
            print(
                f"| {n:,} | {h:.2f} | {p:.2f} | {ratio:.2f} | {cpu:.2f} | {hm:.0f} | {pm:.0f} "
                f"| {hm / pm:.2f} | {1000 * h / n:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
