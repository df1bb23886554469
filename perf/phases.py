"""Where the default benchmark's time goes: one whole process, its phases timed.

    python perf/phases.py [CONFIGS...] [--n-jobs N] [--runs 3] [--quick]

Runs ``python -m bench run CONFIGS --force -q`` (default: configs/) as a child process
that times its own phases with wrappers around the harness's functions (nothing else
changes) and prints them: startup (the interpreter and the CLI's imports), loading
(configs, data, folds; the first model build imports scikit-learn), fitting (the fold
fits; with one process, by model, each fit timed alone), scoring (bootstrap intervals and
the per-view metrics), writing (the run folders: predictions, metrics, reports) and the
leaderboard. With several processes, fitting runs in the workers while this process
scores and writes the runs already complete: the phases then are the main process's
timeline (startup, loading, waiting for the first result, the rest until the last, the
end), and a table of each process's tasks: how many, the seconds spent fitting them, and
the rest of the window from the run's first task to its last (this process: scoring and
writing the runs already complete; a worker: waiting for its next task). Last, the
seconds a fresh interpreter takes to import the estimators the builtin models fit, which
every process of a run pays once. Medians of ``--runs`` runs; CPU time is this process's
and its workers'. ``--quick``: one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
T0 = time.perf_counter()
import bench.cli, bench.execute, bench.runner, bench.runs, bench.backends
marks = {"imported": time.perf_counter()}
phases = {"loading": 0.0, "scoring": 0.0, "writing": 0.0}
fits = {}

def timed(module, name, phase):
    f = getattr(module, name)
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            phases[phase] += time.perf_counter() - t
    setattr(module, name, wrapper)

timed(bench.runner, "prepare", "loading")
timed(bench.runner, "finish", "scoring")
for name in ("run_documents", "write_run", "report_files"):
    timed(bench.execute if name == "report_files" else bench.runs, name, "writing")
fit_predict = bench.runner.fit_predict
def fit(model, *a, **k):
    t = time.perf_counter()
    try:
        return fit_predict(model, *a, **k)
    finally:
        fits[model] = fits.get(model, 0.0) + time.perf_counter() - t
bench.runner.fit_predict = fit
execute = bench.backends.execute
def watched(*a, **k):
    marks["sent"] = time.perf_counter()
    for r in execute(*a, **k):
        marks.setdefault("first", time.perf_counter())
        yield r
    marks["last"] = time.perf_counter()
bench.runner.execute = watched
# each task's start and end, in a file per process: pickled by value into the workers
def traced(*a, _f=bench.runner.fit_group, _dir=os.environ["PHASES_TRACE"], **k):
    import os, time
    t = time.perf_counter()
    out = _f(*a, **k)
    with open(os.path.join(_dir, str(os.getpid())), "a") as fh:
        fh.write(f"{t} {time.perf_counter()}\n")
    return out
bench.runner.fit_group = traced
run_configs = bench.execute.run_configs
def runs(*a, **k):
    out = run_configs(*a, **k)
    marks["written"] = time.perf_counter()
    return out
import bench.execute as ex
ex.run_configs = runs
code = bench.cli.main(sys.argv[1:])
marks["end"] = time.perf_counter()
doc = {"t0": T0, "marks": marks, "phases": phases, "fits": fits, "pid": os.getpid()}
print("PHASES " + json.dumps(doc))
sys.exit(code)
"""


def one(configs: list[str], n_jobs: int | None, out: Path) -> dict:
    cmd = [sys.executable, "-c", CHILD, "run", *configs, "--force", "-q", "--out", str(out)]
    if n_jobs is not None:
        cmd += ["--n-jobs", str(n_jobs)]
    start = os.times()
    import time

    with tempfile.TemporaryDirectory() as trace:
        t0 = time.perf_counter()
        env = {**os.environ, "PHASES_TRACE": trace}
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        end = os.times()
        tasks = {
            f.name: [tuple(map(float, x.split())) for x in f.read_text().splitlines()]
            for f in Path(trace).iterdir()
        }
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("PHASES "))
    doc = json.loads(line[len("PHASES ") :])
    doc["wall"] = wall
    doc["tasks"] = tasks
    doc["cpu"] = (end.children_user - start.children_user) + (
        end.children_system - start.children_system
    )
    doc["startup"] = wall - (doc["marks"]["end"] - doc["marks"]["imported"])
    return doc


def main() -> None:
    from scale import byte_compile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=["configs"])
    parser.add_argument("--n-jobs", type=int, help="processes (default: the CLI's, every core)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        one(args.configs, args.n_jobs, Path(tmp) / "warm")  # derived data, page cache
        docs = [one(args.configs, args.n_jobs, Path(tmp) / f"r{i}") for i in range(args.runs)]

    def med(f) -> float:
        return statistics.median(f(d) for d in docs)

    jobs = args.n_jobs or os.cpu_count()
    where = " ".join(args.configs)
    print(f"{where}, --n-jobs {jobs}, {os.cpu_count()} cores, medians of {args.runs} run(s)")
    print(f"\nwall {med(lambda d: d['wall']):.2f} s, CPU {med(lambda d: d['cpu']):.2f} s\n")
    print("| phase | seconds |")
    print("|---|---:|")

    def mark(d, name):
        return d["marks"][name] - d["marks"]["imported"]

    rows = [("startup (interpreter, imports)", lambda d: d["startup"])]
    if jobs == 1:
        rows += [
            ("loading (configs, data, folds)", lambda d: d["phases"]["loading"]),
            ("fitting (every fold)", lambda d: sum(d["fits"].values())),
            ("scoring (metrics, intervals)", lambda d: d["phases"]["scoring"]),
            ("writing (run folders, reports)", lambda d: d["phases"]["writing"]),
            ("leaderboard and the rest", lambda d: d["marks"]["end"] - d["marks"]["written"]),
        ]
    else:
        rows += [
            ("loading (configs, data, folds)", lambda d: mark(d, "sent")),
            ("until the first fold is in", lambda d: mark(d, "first") - mark(d, "sent")),
            ("until the last fold is in", lambda d: mark(d, "last") - mark(d, "first")),
            ("scoring and writing the last runs", lambda d: mark(d, "written") - mark(d, "last")),
            ("leaderboard and the rest", lambda d: d["marks"]["end"] - d["marks"]["written"]),
        ]
    for name, f in rows:
        print(f"| {name} | {med(f):.2f} |")
    if jobs > 1:
        print("\n| process | tasks | fitting s | fitting window s | not fitting s |")
        print("|---|---:|---:|---:|---:|")
        per_run = [pool(d) for d in docs]
        for i in range(max(len(p) for p in per_run)):
            rows = [p[i] for p in per_run if i < len(p)]
            tasks, busy, window = (statistics.median(r[k] for r in rows) for k in range(3))
            name = "this process" if i == 0 else f"worker {i}"
            print(f"| {name} | {tasks:.0f} | {busy:.2f} | {window:.2f} | {window - busy:.2f} |")
    if jobs == 1:
        models = sorted({m for d in docs for m in d["fits"]}, key=lambda m: -docs[0]["fits"][m])
        print("\n| model (summed over its configs) | fitting seconds |")
        print("|---|---:|")
        for m in models:
            print(f"| {m} | {med(lambda d, m=m: d['fits'].get(m, 0.0)):.2f} |")
    print(f"\nimporting scikit-learn's estimators, a fresh interpreter: {sklearn_import():.2f} s")


SKLEARN = (
    "sklearn.pipeline, sklearn.svm, sklearn.linear_model, sklearn.naive_bayes, "
    "sklearn.feature_extraction.text"
)


def sklearn_import(runs: int = 3) -> float:
    """The median seconds of importing the estimators the builtin models fit, as every
    process of a run does once."""
    code = f"import time; t = time.perf_counter(); import {SKLEARN}; print(time.perf_counter() - t)"
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(times)


def pool(doc: dict) -> list[tuple[int, float, float]]:
    """(tasks, seconds fitting, the window from the run's first task to its last) of each
    process of one run's pool, this one first, then the workers by their first task: the
    window less the fitting is what a process spent between its tasks (this one: scoring
    and writing the runs already complete; a worker: waiting for its next task)."""
    spans = [x for t in doc["tasks"].values() for x in t]
    window = max(b for _, b in spans) - min(a for a, _ in spans)
    here = doc["tasks"].get(str(doc["pid"]), [])
    workers = sorted((t for p, t in doc["tasks"].items() if p != str(doc["pid"])), key=min)
    return [(len(t), sum(b - a for a, b in t), window) for t in (here, *workers)]


if __name__ == "__main__":
    main()
