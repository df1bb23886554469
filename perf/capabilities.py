"""Per-model failure rates on the contrast suite, one row per run, one column per capability.

    python perf/capabilities.py [RUNS_FOLDER] [--task joint]

Reads the run folders (default: the committed reference results) and prints a Markdown
table: the three views' macro-F1 and each capability's failure rate.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=Path, default=ROOT / "results" / "reference")
    parser.add_argument("--task", default="joint")
    args = parser.parse_args()

    from bench.ranking import rank
    from bench.runs import find_runs, load_run

    runs = [load_run(p) for p in find_runs([args.runs])]
    runs = [r for r in runs if r.metrics["task"] == args.task]
    by_path = {r.path: r for r in runs}
    entries = rank(runs)
    caps: list[str] = []
    for r in runs:
        for c in r.views().get("contrast", {}).get("capabilities", []):
            if c["capability"] not in caps:
                caps.append(c["capability"])
    head = ["config", "generalization", "cv", "cross_target", "contrast", *caps]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for e in entries:
        run = by_path[e.path]
        rates = {
            c["capability"]: c["failure_rate"]
            for c in run.views().get("contrast", {}).get("capabilities", [])
        }

        def f(x):
            return "n/a" if x is None else f"{x:.2f}"

        cells = [
            e.name,
            f(e.score),
            f(e.views.get("cv")),
            f(e.views.get("cross_target")),
            f(e.views.get("contrast")),
            *(f(rates.get(c)) for c in caps),
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
