"""A 6-point sweep of tfidf_svm's C: harness vs a plain scikit-learn script that fits the
features once and the 6 models on them.

    python perf/sweep.py [--sizes 10000 100000] [--runs 2] [--quick]

For each size: writes seeded synthetic data (perf/synth.py), then times, as whole
processes and in an order rotated from round to round, ``python -m bench run`` on a config
with ``[sweep] "model.C" = [6 values]`` (a grouped 80/20 split, TF-IDF word 1-2 + char 2-5
n-grams, linear SVM, metrics with 1000 bootstrap resamples, predictions and reports
written: 6 runs), with its defaults (every core) and with ``--n-jobs 1``, and
``perf/plain_sweep.py`` (the same load, split, features fitted once, 6 fits, predictions
and macro-F1s, nothing else; each macro-F1 is checked against the harness's). Prints a
Markdown table: median wall time of each, the medians of the per-round wall ratios
(goal: <= 1.15) and the CPU-time ratio of the one-process harness (CPU time moves less
than wall time on a shared machine), and peak memory. ``--quick``: 10k rows, one round.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "perf"))

C_VALUES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
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
cross_target = false
contrast = false
[model]
name = "tfidf_svm"
[sweep]
"model.C" = [{values}]
"""


def row(n: int, got: dict[str, list[tuple[float, float, float]]]) -> str:
    """A table row from each command's (wall, CPU, peak MiB) per round."""

    def wall(name: str) -> float:
        return statistics.median(m[0] for m in got[name])

    def ratio(a: str, b: str, i: int = 0) -> float:
        return statistics.median(x[i] / y[i] for x, y in zip(got[a], got[b], strict=True))

    mem = max(m[2] for m in got["harness"] + got["harness -j1"])
    return (
        f"| {n:,} | {wall('harness'):.2f} | {wall('harness -j1'):.2f} "
        f"| {wall('plain'):.2f} | {ratio('harness', 'plain'):.2f} "
        f"| {ratio('harness -j1', 'plain'):.2f} | {ratio('harness -j1', 'plain', 1):.2f} "
        f"| {mem:.0f} | {max(m[2] for m in got['plain']):.0f} |"
    )


def main() -> None:
    from scale import TimedOut, byte_compile, measure
    from synth import make

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--runs", type=int, default=2, help="rounds per size (medians)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    parser.add_argument("--quick", action="store_true", help="10k rows, one round")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = [10000], 1
    byte_compile()
    print(f"C = {', '.join(map(str, C_VALUES))}; {args.runs} round(s) per size\n")
    print(
        "| rows | harness s | harness -j1 s | plain s | wall ratio | wall ratio -j1 "
        "| CPU ratio -j1 | harness MiB | plain MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        values = ", ".join(map(str, C_VALUES))
        (tmp / "sweep.toml").write_text(CONFIG.format(values=values), encoding="utf-8")
        for n in args.sizes:
            make(n, seed=n).to_parquet(tmp / "data.parquet", index=False)
            harness = [sys.executable, "-m", "bench", "run", str(tmp / "sweep.toml")]
            harness += ["--force", "-q", "--out"]
            plain = [sys.executable, str(ROOT / "perf" / "plain_sweep.py")]
            plain += [str(tmp / "data.parquet"), "--C", *map(str, C_VALUES)]
            plain += ["--check", str(tmp / "runs")]  # round 0 runs the harness first
            commands = {
                "harness": harness + [str(tmp / "runs")],
                "harness -j1": harness + [str(tmp / "runs1"), "--n-jobs", "1"],
                "plain": plain,
            }
            names = list(commands)
            got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in names}
            try:
                for r in range(args.runs):
                    for name in names[r % 3 :] + names[: r % 3]:
                        got[name].append(measure(commands[name], args.timeout))
            except TimedOut as exc:
                print(f"| {n:,} | > {args.timeout:.0f} s: not finished ({exc}) | | | | | | | |")
                break

            print(row(n, got), flush=True)


if __name__ == "__main__":
    main()
