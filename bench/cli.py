"""The command line: the only place that parses argv, prints, and picks exit codes.

Exit codes: 0 success, 1 a comparison found a regression or a result was not reproduced
(under ``check``, a model that failed on a fold too), 2 usage or input error, 130
interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import __version__, specs
from bench.errors import BenchError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143
# resampling rounds of --n-boot: beyond this a comparison takes minutes and gigabytes
MAX_N_BOOT = 100_000
DEFAULT_CONFIGS = Path(specs.DEFAULT_CONFIGS)
DEFAULT_RUNS = Path(specs.DEFAULT_RUNS)
DEFAULT_SEEDS = Path(specs.DEFAULT_SEEDS)
DEFAULT_DATA = Path(specs.DEFAULT_DATA)
DEFAULT_REFERENCE = Path(specs.DEFAULT_REFERENCE)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2), like every other error here."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"stance-bench: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_boot(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_N_BOOT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_N_BOOT:,}, got {value:,}")
    return value


def _non_negative(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {value}")
    return value


def _summary(markdown: str) -> None:
    """Append to the GitHub job summary when running in a workflow. A summary that cannot
    be written is a warning: the gate's outcome (the exit code) stands."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(markdown + "\n")
        except OSError as err:
            _warn(
                f"could not append to the job summary GITHUB_STEP_SUMMARY={path} "
                f"({err.strerror or err}); the result above stands"
            )


# ---------------------------------------------------------------------------- commands
def _warn(message: str) -> None:
    """A one-line warning on stderr; the command goes on."""
    print(f"stance-bench: warning: {_spelled(message)}", file=sys.stderr)


def _spelled(message: str) -> str:
    """A value read through ${VAR} in a config is shown as ${VAR}, never echoed."""
    load = sys.modules.get("bench.config.load")
    return load.spelled(message) if load is not None else message


def _cmd_derive(args: argparse.Namespace) -> int:
    from bench.corpus import derive

    derived = derive.derive(args.seeds)
    written = derive.write(derived, args.out)
    state = "wrote" if written else "up to date:"
    c = derived.counts
    labels = ", ".join(f"{k} {v}" for k, v in c["label"].items())
    print(
        f"{state} {args.out} ({c['items']} items, {c['groups']} groups; {labels}; "
        f"hash {derived.content_hash[:12]})"
    )
    if derived.contrast:
        from bench.corpus.contrast import counts
        from bench.report.format import text_table

        suite = counts(derived.contrast, derived.skipped)
        print(
            f"contrast suite: {suite['cases']} cases made; {suite['skipped']} times a rule matched "
            f"an item but made no case (the reasons in full: {args.out / 'README.md'})"
        )
        rows = [
            [
                name,
                per["test_type"],
                str(per["cases"]),
                str(sum(per["skipped"].values())),
                ", ".join(f"{r} {n}" for r, n in per["skipped"].items()),
            ]
            for name, per in suite["capability"].items()
        ]
        print(
            text_table(["capability", "test type", "made", "skipped", "why skipped"], rows), end=""
        )
    return EXIT_OK


def _cmd_units(args: argparse.Namespace) -> int:
    from bench.corpus.derive import article_units
    from bench.report.format import text_table

    path, units = article_units(args.article, args.seeds)
    print(
        f"{path}: {len(units)} units, numbered from 0 in article order, headlines included "
        "(the numbers and offsets derive's messages use)"
    )
    rows = [[str(u.index), u.kind, f"{u.start}-{u.end}", u.speaker or "", u.text] for u in units]
    print(text_table(["unit", "kind", "offsets", "speaker", "text"], rows), end="")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from bench.backends import Backend
    from bench.boards import boards
    from bench.config import load_configs
    from bench.execute import run_configs
    from bench.io import write_text_atomic, writing_into
    from bench.report import leaderboard
    from bench.runs import complete_runs, load_run
    from bench.specs import LEADERBOARD_CSV, LEADERBOARD_MD

    if args.mlflow:
        from bench.tracking import check_mlflow

        check_mlflow(args.mlflow)  # before any work
    configs = load_configs(args.configs or [DEFAULT_CONFIGS])
    records = run_configs(
        configs,
        args.out,
        n_jobs=args.n_jobs,
        threads=args.threads,
        force=args.force,
        progress=not args.quiet,
        backend=Backend(args.backend, args.scheduler),
        warn=_warn,
    )
    runs = [load_run(r.run_dir, verify=False) for r in records]
    # the runs folder's leaderboard lists every complete run in it, not only these
    mine = {r.path for r in runs}
    others, skipped = complete_runs(args.out, exclude=mine)
    for path, why in skipped:
        _warn(f"{path} left out of the leaderboard: {why}")
    board = boards(runs + others)
    swept = [(run, r.config.sweep) for run, r in zip(runs, records, strict=True)]
    with writing_into(args.out, fix="free space, or choose another --out"):
        write_text_atomic(args.out / LEADERBOARD_MD, leaderboard.render_markdown(board))
        write_text_atomic(args.out / LEADERBOARD_CSV, leaderboard.render_csv(board))
        print(leaderboard.render_text(boards(runs)), end="")
        _write_sweeps(args.out, swept)
    reused = sum(r.reused for r in records)
    print(
        f"\n{len(records)} run(s) of these configs in {args.out}/ ({reused} unchanged, reused); "
        f"leaderboard of all {len(runs) + len(others)} complete run(s) there: "
        f"{args.out / LEADERBOARD_MD}"
    )
    _track(args, runs)
    return EXIT_OK


def _track(args: argparse.Namespace, runs: list) -> None:
    """run --dvc and --mlflow: the runs for experiment trackers."""
    from bench import tracking

    if args.dvc:  # every run folder in --out, not only this command's
        from bench.runs import load_run, runs_in

        every = [load_run(d) for d in runs_in(args.out)]
        print(f"dvc: wrote {tracking.write_dvc(args.out, every)} (dvc metrics show, plots show)")
    if args.mlflow:
        logged = tracking.log_mlflow(args.mlflow, runs, args.mlflow_experiment)
        new = sum(x.new for x in logged)
        print(
            f"mlflow: {new} run(s) logged to experiment {args.mlflow_experiment!r} at "
            f"{args.mlflow} ({len(logged) - new} logged before)"
        )


def _cmd_items(args: argparse.Namespace) -> int:
    from bench.config import load_config
    from bench.execute import export_items
    from bench.io import write_text_atomic

    if args.out.is_dir():
        raise BenchError(f"--out {args.out} is a folder; name a file, e.g. {args.out}/items.jsonl")
    cfg = load_config(args.config)
    items, text = export_items(cfg, train=args.train)
    write_text_atomic(args.out, text)
    if items.trained:
        where = len({(r.view, r.repeat, r.fold) for r in items.rows.itertuples()})
        what = (
            f"{len(items.rows)} predictions: {items.rows['id'].nunique()} items, each in the "
            f"(view, repeat, fold) it is tested in ({where} of them)"
            + ("; with each fold's training items" if args.train else "")
        )
    else:
        what = f"{len(items.rows)} items, each once (zero-shot: trained = false)"
    print(f"wrote {args.out}: {what}; digest {items.digest[:12]}")
    return EXIT_OK


def _write_sweeps(out: Path, runs: list) -> None:
    from bench.io import write_text_atomic
    from bench.report import sweep
    from bench.specs import SWEEP_SUFFIXES
    from bench.sweeps import summarize

    for summary in summarize(runs):
        md_path, html_path = (out / f"{summary.name}{suffix}" for suffix in SWEEP_SUFFIXES)
        write_text_atomic(md_path, sweep.render_markdown(summary))
        write_text_atomic(html_path, sweep.render_html(summary))
        print(f"sweep {summary.name}: best {summary.best.entry.name}; summary: {md_path}")


def _cmd_report(args: argparse.Namespace) -> int:
    from bench.execute import rewrite_reports

    for run_dir in args.runs:
        for path in rewrite_reports(run_dir):
            print(f"wrote {path}")
    return EXIT_OK


def _gate(args: argparse.Namespace):
    from bench.compare import Gate

    return Gate(
        metrics=tuple(args.metrics) if args.metrics else None,
        test=args.test,
        alpha=args.alpha,
        max_drop=args.max_drop,
        fail_on=args.fail_on,
        n_boot=args.n_boot,
        unpaired=getattr(args, "unpaired", False),
    )


def _cmd_compare(args: argparse.Namespace) -> int:
    from bench.compare import compare
    from bench.report import comparison

    cmp = compare(args.base, args.candidate, _gate(args))
    render = {
        "text": comparison.render_text,
        "markdown": comparison.render_markdown,
        "json": comparison.render_json,
    }[args.format]
    print(render(cmp), end="")
    _summary(comparison.render_markdown(cmp))
    return EXIT_FAILED if cmp.failed else EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from bench.backends import Backend
    from bench.check import RunOptions, check
    from bench.report import check as render

    options = RunOptions(
        n_jobs=args.n_jobs,
        threads=args.threads,
        backend=Backend(args.backend, args.scheduler),
        progress=not args.quiet,
    )
    result = check(
        args.configs or [DEFAULT_CONFIGS],
        args.reference,
        update=args.update,
        base=args.base,
        out=args.out,
        options=options,
        gate=_gate(args),
    )
    text = render.render_markdown(result) if args.format == "markdown" else None
    print(text if text is not None else render.render_text(result), end="")
    if not args.update:
        _summary(render.render_markdown(result))
    return EXIT_FAILED if result.failed else EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from bench import scaffold
    from bench.backends import Backend
    from bench.check import RunOptions, check

    planned = scaffold.plan(args.dir, args.action)
    for path in scaffold.write(args.dir, planned):
        print(f"wrote {path}")
    reference = args.dir / DEFAULT_REFERENCE
    options = RunOptions(n_jobs=args.n_jobs, backend=Backend(), progress=not args.quiet)
    check([args.dir / DEFAULT_CONFIGS], reference, update=True, options=options)
    print(
        f"wrote {reference}/ (a first `stance-bench check --update`)\n"
        f"next: cd {args.dir} && stance-bench run && stance-bench check"
    )
    return EXIT_OK


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from bench.boards import boards
    from bench.io import write_text_atomic, writing_into
    from bench.report import leaderboard
    from bench.runs import find_runs, load_run

    if args.out is not None and args.out.is_dir():
        raise BenchError(f"--out {args.out} is a folder; name a file, e.g. {args.out}/board.md")
    runs = [load_run(d) for d in find_runs(args.runs)]
    entries = boards(runs, args.sort, alpha=None if args.no_tiers else args.alpha)
    if args.human is not None:
        entries = _with_human(entries, args.human, args.sort, runs)
    render = {
        "text": leaderboard.render_text,
        "markdown": leaderboard.render_markdown,
        "csv": leaderboard.render_csv,
        "html": leaderboard.render_html,
    }[args.format]
    text = render(entries)
    if args.out:
        with writing_into(args.out, fix="free space, or choose another --out"):
            write_text_atomic(args.out, text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return EXIT_OK


def _cmd_annotate_export(args: argparse.Namespace) -> int:
    from bench.corpus import labelstudio
    from bench.io import write_text_atomic

    made = labelstudio.export_tasks(args.article, args.out, model=args.model, seeds=args.seeds)
    with_model = f" with {args.model}'s suggestions" if args.model else ""
    print(f"wrote {args.out} ({len(made)} tasks, one per unit{with_model})")
    if args.config_out:
        write_text_atomic(args.config_out, labelstudio.label_config())
        print(f"wrote {args.config_out} (the labeling config to paste into Label Studio)")
    return EXIT_OK


def _cmd_annotate_import(args: argparse.Namespace) -> int:
    from collections import Counter

    from bench.corpus import labelstudio

    done = labelstudio.import_export(
        args.export, args.article, args.annotator, user=args.user, out=args.out, force=args.force
    )
    kinds = Counter(r.get("label", "exclude") for r in done.rows)
    print(
        f"wrote {done.path} ({len(done.rows)} lines from {done.n_tasks} tasks of user "
        f"{done.user}: {', '.join(f'{k} {v}' for k, v in kinds.most_common())}; "
        f"{done.skipped} cancelled annotation(s) left out)"
    )
    return EXIT_OK


def _cmd_annotate_adjudicate(args: argparse.Namespace) -> int:
    from bench.corpus import adjudicate
    from bench.report.agreement import render_disagreements

    if args.resolve is not None:
        path, gold = adjudicate.resolve(
            args.article, args.resolve, out=args.out, force=args.force, id_prefix=args.id_prefix
        )
        print(f"wrote {path} ({len(gold)} lines, the adjudicated gold)")
        return EXIT_OK
    path, entries = adjudicate.write_adjudication(args.article, args.out, force=args.force)
    print(render_disagreements(entries), end="")
    print(f'wrote {path}; set each null "resolved", then run with --resolve {path}')
    return EXIT_OK


def _cmd_agreement(args: argparse.Namespace) -> int:
    from bench import agreement
    from bench.report import agreement as render

    result = agreement.measure(
        agreement.load(args.seeds), n_boot=args.n_boot, level=args.level, random_state=args.seed
    )
    out = {
        "text": render.render_text,
        "markdown": render.render_markdown,
        "json": render.render_json,
    }
    print(out[args.format](result), end="")
    return EXIT_OK


def _with_human(tables: list, seeds: Path, metric: str, runs: list) -> list:
    """Each table whose data are a gold's items with a "human" row per annotator of them."""
    from dataclasses import replace

    from bench.agreement import human_reference
    from bench.corpus.articles import gold_path
    from bench.errors import ConfigError
    from bench.ranking import human_entry
    from bench.specs import METRICS

    if not METRICS[metric].comparable:
        raise ConfigError(f"--human needs a metric from confusion counts, not {metric!r}")
    humans = human_reference(seeds, sorted({b.task for b in tables}), metric)
    by_path = {r.path: r for r in runs}
    out, shown = [], 0
    for b in tables:
        first = b.entries[0]
        ids = set(by_path[first.path].predictions()[first.main].ids.astype(str).tolist())
        rows = [
            human_entry(h, gold_path(seeds / f"{h.articles[0]}.txt"))
            for h in humans
            if h.task == b.task and set(h.ids) == ids
        ]
        shown += len(rows)
        out.append(replace(b, entries=b.entries + rows))
    if not shown:
        _warn(
            f"--human {seeds}: no table is on the gold items its annotators labelled (or no "
            "annotator's file is beside a gold file); no human row"
        )
    return out


# ------------------------------------------------------------------------------ parser
def _add_gate_options(p: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    from bench.specs import FAIL_ON, NAMED, TESTS

    g = p.add_argument_group("gate")
    g.add_argument(
        "--metric",
        action="append",
        dest="metrics",
        metavar="NAME",
        choices=NAMED,
        help=f"metric to compare, repeatable: {', '.join(NAMED)} (default: each run's primary)",
    )
    g.add_argument("--alpha", type=_level, default=0.05, help="significance level (0.05)")
    g.add_argument(
        "--max-drop",
        type=_non_negative,
        default=None,
        metavar="X",
        help="also fail when a config's rank score drops by more than X without being "
        "significant (the drop CI tolerates without evidence; docs/ci.md)",
    )
    g.add_argument("--fail-on", choices=FAIL_ON, default="regression", help="what fails the gate")
    g.add_argument(
        "--test",
        choices=TESTS,
        default="sign-flip",
        help="what decides: sign-flip (default: joint cluster sign flips over every row, "
        "max-T); another test's p-values, Holm-corrected (all are reported)",
    )
    g.add_argument(
        "--n-boot",
        type=_n_boot,
        default=2000,
        metavar="B",
        help=f"resampling rounds: joint sign flips, bootstrap (2000; at most {MAX_N_BOOT:,})",
    )
    g.add_argument("--format", choices=formats, default="text")


def _add_run_options(p: argparse.ArgumentParser, out: Path | None, out_help: str) -> None:
    """Options shared by the commands that run configs (run, check)."""
    p.add_argument(
        "configs",
        nargs="*",
        type=Path,
        metavar="CONFIG_OR_DIR",
        help="config files, or folders of them (default: configs/)",
    )
    p.add_argument(
        "--n-jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="folds fitted in parallel (default: every core; results are identical for any N)",
    )
    p.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        metavar="T",
        help="native (BLAS/OpenMP) threads per job (default: 1; small fits gain nothing "
        "from more, and on a busy machine they wait for each other)",
    )
    p.add_argument("--out", type=Path, default=out, help=out_help)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--backend",
        choices=("loky", "dask"),
        default="loky",
        help="where folds are fitted: local processes, or a Dask cluster (pip install "
        "'stance-bench[dask]')",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="the Dask scheduler, e.g. tcp://host:8786 (default with --backend dask: a "
        "local cluster)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stance-bench",
        description="Fact-and-stance classification benchmark: derive the dataset, run "
        "baselines from configs, report and compare results.",
        epilog="Exit codes: 0 success, 1 regression or result not reproduced, 2 usage or "
        "input error, 130 interrupted, 143 terminated.",
    )
    parser.add_argument("--version", action="version", version=f"stance-bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("derive", help="derive the labeled dataset from seeds/")
    p.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="articles and annotations")
    p.add_argument("--out", type=Path, default=DEFAULT_DATA, help="output folder")
    p.set_defaults(func=_cmd_derive)

    p = sub.add_parser(
        "units", help="list an article's units (sentences, headlines) with numbers and offsets"
    )
    p.add_argument("article", metavar="ARTICLE", help="a .txt file, or an article name in --seeds")
    p.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="where to look up a name")
    p.set_defaults(func=_cmd_units)

    p = sub.add_parser("run", help="run experiments from configs and print a leaderboard")
    _add_run_options(p, DEFAULT_RUNS, "runs folder (default: runs)")
    p.add_argument(
        "--force", action="store_true", help="re-run even when an unchanged complete run exists"
    )
    g = p.add_argument_group("experiment tracking")
    g.add_argument(
        "--dvc",
        action="store_true",
        help="write OUT/dvc.yaml: the runs' metrics, params (config.toml) and confusion plots",
    )
    g.add_argument(
        "--mlflow",
        metavar="URI",
        help="log one MLflow run per config and view to this tracking URI, e.g. "
        "sqlite:///mlflow.db (pip install 'stance-bench[mlflow]')",
    )
    g.add_argument(
        "--mlflow-experiment", default="stance-bench", metavar="NAME", help="(stance-bench)"
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "items",
        help="write every item a config evaluates (what a system run elsewhere must predict)",
    )
    p.add_argument("config", type=Path, metavar="CONFIG", help="a config file")
    p.add_argument("--out", type=Path, required=True, help="the items file (JSON Lines)")
    p.add_argument(
        "--train",
        action="store_true",
        help="also each fold's training items with their labels (a system trained per fold)",
    )
    p.set_defaults(func=_cmd_items)

    p = sub.add_parser("report", help="re-render report.md and report.html of run folders")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "compare",
        help="compare two runs (or folders of runs) with paired significance tests; "
        "exit 1 on regression",
    )
    p.add_argument("base", type=Path, metavar="BASE")
    p.add_argument("candidate", type=Path, metavar="CANDIDATE")
    p.add_argument(
        "--unpaired",
        action="store_true",
        help="compare runs on different data (each resampled on its own; less power)",
    )
    _add_gate_options(p, ("text", "markdown", "json"))
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "check",
        help="re-run configs and compare with the committed reference results (and, with "
        "--base, with another revision's); exit 1 when not reproduced or regressed",
    )
    _add_run_options(p, None, "keep the fresh runs in this folder (default: a temp folder)")
    p.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="reference folder")
    p.add_argument(
        "--base",
        metavar="REF",
        help="also compare with the reference committed at this git revision (e.g. "
        "origin/main); a significant regression against it fails the check",
    )
    p.add_argument(
        "--update", action="store_true", help="merge this run into the reference (after review)"
    )
    _add_gate_options(p, ("text", "markdown"))
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "init",
        help="scaffold a project: configs on the packaged defaults, an example plug-in "
        "model, a CI workflow, and results/reference/ from a first check --update",
    )
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
    from bench.scaffold import ACTION

    p.add_argument(
        "--action", default=ACTION, metavar="OWNER/REPO@REF", help=f"the action (default {ACTION})"
    )
    p.add_argument("--n-jobs", type=_positive_int, default=os.cpu_count() or 1, metavar="N")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_init)

    from bench.specs import METRICS

    p = sub.add_parser(
        "leaderboard",
        help="one table per task and dataset (data hash) with CIs and significance tiers",
    )
    p.add_argument("runs", nargs="+", type=Path, metavar="RUNS", help="run folders or folders")
    p.add_argument("--sort", default="macro_f1", choices=tuple(METRICS))
    p.add_argument("--format", choices=("text", "markdown", "csv", "html"), default="text")
    p.add_argument("--alpha", type=_level, default=0.05, help="significance level for tiers")
    p.add_argument("--no-tiers", action="store_true", help="skip the significance tiers")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.add_argument(
        "--human",
        type=Path,
        metavar="SEEDS",
        help="add a 'human' row per annotator of SEEDS: their labels scored against the gold",
    )
    p.set_defaults(func=_cmd_leaderboard)

    _add_annotate(sub)
    p = sub.add_parser(
        "agreement",
        help="agreement between annotators' files (alpha, Cohen's and Fleiss' kappa, with CIs)",
    )
    p.add_argument("seeds", nargs="?", type=Path, default=DEFAULT_SEEDS, metavar="SEEDS")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--n-boot", type=_positive_int, default=2000, metavar="B", help="resamples")
    p.add_argument("--level", type=_level, default=0.95, help="interval level (0.95)")
    p.add_argument("--seed", type=int, default=0, help="the bootstrap's seed (0)")
    p.set_defaults(func=_cmd_agreement)
    return parser


def _add_annotate(sub) -> None:
    """``annotate export|import|adjudicate``: the Label Studio round trip."""
    p = sub.add_parser("annotate", help="Label Studio tasks, import of its export, adjudication")
    steps = p.add_subparsers(dest="step", metavar="STEP", required=True)
    e = steps.add_parser("export", help="an article's units as Label Studio tasks")
    e.add_argument("article", type=Path, metavar="ARTICLE.txt")
    e.add_argument("--out", type=Path, required=True, help="the tasks (JSON) to import")
    e.add_argument("--model", help="a baseline whose suggestions pre-fill the tasks")
    e.add_argument(
        "--seeds", type=Path, default=DEFAULT_SEEDS, help="gold to train --model on (seeds)"
    )
    e.add_argument("--config-out", type=Path, help="write the labeling config (XML) here")
    e.set_defaults(func=_cmd_annotate_export)
    i = steps.add_parser("import", help="Label Studio's JSON export -> an annotator's file")
    i.add_argument("export", type=Path, metavar="EXPORT.json")
    i.add_argument("--article", type=Path, required=True, help="the article the tasks came from")
    i.add_argument(
        "--annotator", required=True, help="the name in NAME.annotations.ANNOTATOR.jsonl"
    )
    i.add_argument("--user", help="the Label Studio user (id or e-mail) when several annotated")
    i.add_argument("--out", type=Path, help="another file than the one beside the article")
    i.add_argument("--force", action="store_true", help="replace an existing file")
    i.set_defaults(func=_cmd_annotate_import)
    a = steps.add_parser(
        "adjudicate", help="annotators' items side by side; with --resolve, write the gold"
    )
    a.add_argument("article", type=Path, metavar="ARTICLE.txt")
    a.add_argument("--resolve", type=Path, metavar="FILE", help="a resolved adjudication file")
    a.add_argument("--out", type=Path, help="the file to write (default: beside the article)")
    a.add_argument("--force", action="store_true", help="replace an existing file")
    a.add_argument("--id-prefix", help="prefix of the gold's ids (default: the article's name)")
    a.set_defaults(func=_cmd_annotate_adjudicate)


def _error(message: str) -> None:
    """The one error line."""
    print(f"stance-bench: error: {_spelled(message)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from bench import signals
    from bench.errors import FoldError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error (argparse exits 2)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        with signals.handled():  # SIGTERM ends a command like Ctrl-C
            return args.func(args)
    except FoldError as err:  # a model failed on a fold: under check, not reproduced
        _error(str(err))
        return EXIT_FAILED if args.command == "check" else EXIT_USAGE
    except BenchError as err:
        _error(str(err))
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, signals.Terminated)
        print(
            f"stance-bench: {'terminated (SIGTERM)' if terminated else 'interrupted'}; "
            "completed outputs were kept, partial ones and temp folders removed",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except OSError as err:  # a file system refusal the checks up front could not foresee
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        _error(f"{err.strerror or err}{where}")
        return EXIT_USAGE
