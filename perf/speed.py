"""Every speed figure of docs/performance.md, each against its goal, in one command.

    python perf/speed.py [--quick] [--only NAME ...]

Runs, one after the other (each times whole processes against a plain scikit-learn
script doing the same work, alternating them; see each script's doc):

- ``semeval``: perf/semeval.py, SemEval-2016 Task 6A's SVM per target (goal <= 1.15x wall);
- ``sweep``: perf/sweep.py, a 6-point C sweep of tfidf_svm on 10k and 100k rows against
  a script that fits the features once (goal <= 1.15x wall);
- ``scale``: perf/scale.py, 1k / 10k / 100k rows (goals <= 1.3 / 1.1 / 1.1x wall);
- ``default``: perf/default_benchmark.py without added load (goal: the harness <= 4 s
  wall on 2 quiet cores; and ``stance-bench --help`` < 0.3 s), then perf/phases.py (where
  the time goes, with every core and with one process).

``--quick`` passes ``--quick`` to each (minutes, not an hour). Figures from a shared
machine are noisy: quote the ratios, and re-measure on a quiet one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

PERF = Path(__file__).resolve().parent

STEPS = {
    "semeval": [["semeval.py"]],
    "sweep": [["sweep.py"]],
    "scale": [["scale.py", "--sizes", "1000", "10000", "100000"]],
    "default": [
        ["default_benchmark.py", "--load", "off"],
        ["phases.py"],
        ["phases.py", "--n-jobs", "1"],
    ],
}
QUICK = {"scale": [["scale.py", "--quick"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each script's --quick")
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="some of the steps")
    args = parser.parse_args()
    for name in args.only or list(STEPS):
        for step in (QUICK.get(name) if args.quick else None) or STEPS[name]:
            cmd = [sys.executable, str(PERF / step[0]), *step[1:]]
            if args.quick and "--quick" not in cmd:
                cmd.append("--quick")
            print(f"\n## {name}: python perf/{' '.join([step[0], *cmd[2:]])}\n", flush=True)
            code = subprocess.call(cmd)
            if code != 0:
                raise SystemExit(f"perf/{step[0]} failed ({code})")


if __name__ == "__main__":
    main()
