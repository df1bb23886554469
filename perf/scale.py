"""Scaling: harness vs plain scikit-learn on 1k, 10k, 100k and 300k synthetic examples.

    python perf/scale.py [--sizes 1000 10000 100000 300000] [--runs 1]

For each size: writes seeded synthetic data (perf/synth.py), then times, alternately and
each as a whole process, `stance-bench run` on a config that reads it (grouped 80/20
split, TF-IDF word + char n-grams, linear SVM, metrics with 1000 bootstrap resamples,
predictions and reports written) and `perf/plain_scale.py` (the same load, split,
features, fit, predict and macro-F1, nothing else). Prints wall time and peak resident
memory of each, their ratio, and the harness's time per 1k rows.
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
[dataset]
path = "data.parquet"
[protocol]
kind = "split"
test_size = 0.2
[metrics]
bootstrap = 1000
[model]
name = "tfidf_svm"
"""


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    from synth import make

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 300000])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print("| rows | harness s | plain s | ratio | harness MiB | plain MiB | harness s/1k rows |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "scale.toml").write_text(CONFIG, encoding="utf-8")
        for n in args.sizes:
            make(n, seed=n).to_parquet(tmp / "data.parquet", index=False)
            harness = [
                sys.executable,
                "-m",
                "bench",
                "run",
                str(tmp / "scale.toml"),
                "--force",
                "-q",
                "--out",
                str(tmp / "runs"),
            ]
            plain = [
                sys.executable,
                str(ROOT / "perf" / "plain_scale.py"),
                str(tmp / "data.parquet"),
            ]
            pairs = [(measure(harness), measure(plain)) for _ in range(args.runs)]
            h = statistics.median(p[0][0] for p in pairs)
            p = statistics.median(p[1][0] for p in pairs)
            ratio = statistics.median(a[0] / b[0] for a, b in pairs)
            hm = max(p[0][1] for p in pairs)
            pm = max(p[1][1] for p in pairs)
            print(
                f"| {n:,} | {h:.2f} | {p:.2f} | {ratio:.2f} | {hm:.0f} | {pm:.0f} | "
                f"{1000 * h / n:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
