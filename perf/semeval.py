"""SemEval-2016 Task 6A's SVM baseline: harness vs plain scikit-learn, whole processes.

    python perf/semeval.py [--runs 5] [--data FOLDER] [--quick]

Times, alternately and each as a whole process, ``python -m bench run
configs/semeval2016/svm_ngrams_per_target.toml`` (one linear SVM per target on TF-IDF word
1-3 + char 2-5 n-grams; F_avg with 1000 bootstrap resamples, per-target metrics,
predictions and reports written) and ``perf/plain_semeval.py`` (the same files, fits,
predictions and F_avg, nothing else; its F_avg is checked against the harness's). The data
is ``--data`` (the real Task 6A files) or, by default, perf/synth.py's synthetic files of
the same shape (2,914 training + trial and 1,249 test tweets over five targets). Prints
median wall time, CPU time (user + system) and peak memory of each, and the medians of the
per-pair ratios (goal: wall <= 1.15). CPU time moves less than wall time on a shared
machine. ``--quick``: two pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "perf"))

CONFIG = ROOT / "configs" / "semeval2016" / "svm_ngrams_per_target.toml"


def main() -> None:
    from scale import byte_compile, measure
    from synth import write_semeval

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="pairs (medians quoted)")
    parser.add_argument("--data", type=Path, help="the Task 6A files (default: synthetic)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per command")
    parser.add_argument("--quick", action="store_true", help="two pairs")
    args = parser.parse_args()
    if args.quick:
        args.runs = 2
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            data = tmp / "semeval"
            write_semeval(data)
        os.environ["SEMEVAL2016_DIR"] = str(data.resolve())
        runs = tmp / "runs"
        harness = [sys.executable, "-m", "bench", "run", str(CONFIG), "--force", "-q"]
        harness += ["--out", str(runs)]
        plain = [sys.executable, str(ROOT / "perf" / "plain_semeval.py"), str(data)]
        plain += ["--check", str(runs / "semeval2016_svm_ngrams_per_target")]
        measure(harness, args.timeout)  # warm-up (page cache), and the run --check reads
        pairs = []
        for r in range(args.runs):
            a, b = (harness, plain) if r % 2 == 0 else (plain, harness)
            first, second = measure(a, args.timeout), measure(b, args.timeout)
            pairs.append((first, second) if a is harness else (second, first))
    source = "real files" if args.data else "synthetic, Task 6A's shape"
    print(f"SemEval-2016 Task 6A SVM per target ({source}), {args.runs} pairs, medians\n")
    print("| command | wall s | CPU s | peak MiB |")
    print("|---|---:|---:|---:|")
    for name, side in (("harness", 0), ("plain scikit-learn", 1)):
        wall = statistics.median(p[side][0] for p in pairs)
        cpu = statistics.median(p[side][1] for p in pairs)
        mem = max(p[side][2] for p in pairs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {mem:.0f} |")
    wall = statistics.median(h[0] / p[0] for h, p in pairs)
    cpu = statistics.median(h[1] / p[1] for h, p in pairs)
    print(f"\nharness / plain: wall {wall:.2f}x (goal <= 1.15), CPU {cpu:.2f}x")


if __name__ == "__main__":
    main()
