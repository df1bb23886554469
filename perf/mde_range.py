"""The minimum detectable effects of the default benchmark, as the README quotes them.

    python perf/mde_range.py [RUNS_FOLDER] [--task joint] [--view cv] [--metric macro_f1]

For every pair of runs of one task (default: the committed reference results), the MDE
of the gate's decider (cluster sign flips; a family of one row, so its critical value is
the single row's) at alpha 0.05 and 80% power, one comparison at a time: prints the range
over pairs and how many pairs differ in too few sentence groups for any outcome to be
significant (MDE n/a).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=Path, default=ROOT / "results" / "reference")
    parser.add_argument("--task", default="joint")
    parser.add_argument("--view", default="cv")
    parser.add_argument("--metric", default="macro_f1")
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()

    from bench.compare import Gate, compare_runs, decide
    from bench.runs import find_runs, load_run

    runs = [load_run(p) for p in find_runs([args.runs])]
    runs = [r for r in runs if r.metrics["task"] == args.task]
    values, undefined = [], []
    for a, b in itertools.combinations(runs, 2):
        raw, _ = compare_runs(a, b, [args.metric])
        (row,) = [r for r in raw if r.view == args.view]
        mde = decide([row], Gate(n_boot=args.n_boot), notes=[]).rows[0].mde
        if mde.value is None:
            undefined.append(f"{a.name} / {b.name}")
        else:
            values.append(mde.value)
    pairs = len(values) + len(undefined)
    print(f"{pairs} pairs of {args.task} runs, view {args.view}, {args.metric}, alpha 0.05")
    if values:
        print(f"MDE range: {min(values):.3f}–{max(values):.3f} over {len(values)} pairs")
    print(f"MDE n/a (too few differing sentence groups to be significant): {len(undefined)} pairs")


if __name__ == "__main__":
    main()
