"""Time the whole default benchmark against the plain scikit-learn script, in one run.

    python perf/default_benchmark.py [--runs 5]

Runs, alternately, `stance-bench run configs/ --force` (derive check, folds, fits,
bootstrap CIs, reports, leaderboard) and `python perf/plain_sklearn.py` (same folds and
fits, nothing else), each as a whole process, and prints the median wall time of each and
the median of the pairwise ratios. Also times `stance-bench --help`. Figures from a
shared machine are noisy: quote the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        harness = [sys.executable, "-m", "bench", "run", "configs", "--force", "-q", "--out", out]
        plain = [sys.executable, "perf/plain_sklearn.py"]
        timed(harness)  # warm-up: derives the dataset, fills caches
        timed(plain)
        pairs = [(timed(harness), timed(plain)) for _ in range(args.runs)]
    helps = [timed([sys.executable, "-m", "bench", "--help"]) for _ in range(args.runs)]
    h = statistics.median(p[0] for p in pairs)
    p = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(a / b for a, b in pairs)
    print(f"harness  median {h:.2f} s over {args.runs} runs")
    print(f"plain    median {p:.2f} s")
    print(f"ratio    harness / plain = {ratio:.2f} (median of pairwise ratios)")
    print(f"--help   median {statistics.median(helps):.3f} s")


if __name__ == "__main__":
    main()
