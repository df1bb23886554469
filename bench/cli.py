"""The command line: the only place that parses argv, prints, and picks exit codes.

Exit codes: 0 success, 1 a comparison found a regression, 2 usage or input error,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import __version__
from bench.errors import BenchError
from bench.report.format import REPORTED


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
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bench.config import load_configs
    from bench.io import write_text_atomic
    from bench.report import leaderboard
    from bench.runner import run_configs

    configs = load_configs(args.configs or [Path("configs")])
    results = run_configs(
        configs, args.out, n_jobs=args.n_jobs, force=args.force, progress=not args.quiet
    )
    rows = leaderboard.entries([(r.metrics, r.manifest) for r in results])
    reused = sum(r.reused for r in results)
    write_text_atomic(args.out / "leaderboard.md", leaderboard.render_markdown(rows))
    write_text_atomic(args.out / "leaderboard.csv", leaderboard.render_csv(rows))
    print(leaderboard.render_text(rows), end="")
    print(
        f"\n{len(results)} run(s) in {args.out}/ ({reused} unchanged, reused); "
        f"leaderboard: {args.out / 'leaderboard.md'}"
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_reports

    for run_dir in args.runs:
        for path in write_reports(run_dir):
            print(f"wrote {path}")
    return 0


def _add_gate_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("gate")
    g.add_argument(
        "--metric",
        action="append",
        dest="metrics",
        metavar="NAME",
        choices=("macro_f1", "accuracy", "f_avg", "kappa"),
        help="metric to compare (repeatable; default: each run's primary)",
    )
    g.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    g.add_argument(
        "--max-drop",
        type=float,
        default=None,
        metavar="X",
        help="also fail when a point estimate drops by more than X, significant "
        "or not (default: off)",
    )
    g.add_argument(
        "--fail-on",
        choices=("regression", "any-change", "never"),
        default="regression",
        help="what fails the gate (default: regression)",
    )
    g.add_argument(
        "--test",
        choices=("bootstrap", "permutation", "mcnemar", "nadeau_bengio"),
        default="bootstrap",
        help="the test whose p-value decides (default: paired bootstrap; others are reported)",
    )
    g.add_argument(
        "--n-boot",
        type=int,
        default=2000,
        metavar="B",
        help="bootstrap and permutation rounds (2000)",
    )
    g.add_argument("--format", choices=("text", "markdown", "json"), default="text")


def _emit_comparison(cmp, fmt: str) -> None:
    import os

    from bench.report import comparison

    render = {
        "text": comparison.render_text,
        "markdown": comparison.render_markdown,
        "json": comparison.render_json,
    }[fmt]
    print(render(cmp), end="")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(comparison.render_markdown(cmp) + "\n")


def _gate_kwargs(args: argparse.Namespace) -> dict:
    if not 0 < args.alpha < 1:
        raise BenchError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.n_boot < 100:
        raise BenchError(f"--n-boot must be at least 100, got {args.n_boot}")
    return {
        "metrics": args.metrics,
        "test": args.test,
        "alpha": args.alpha,
        "max_drop": args.max_drop,
        "fail_on": args.fail_on,
        "n_boot": args.n_boot,
    }


def _cmd_compare(args: argparse.Namespace) -> int:
    from bench.compare import compare

    cmp = compare(args.base, args.candidate, **_gate_kwargs(args))
    _emit_comparison(cmp, args.format)
    return cmp.exit_code


def _cmd_check(args: argparse.Namespace) -> int:
    from bench.check import check

    result = check(
        args.configs or [Path("configs")],
        args.reference,
        update=args.update,
        n_jobs=args.n_jobs,
        progress=not args.quiet,
        out=args.out,
        **_gate_kwargs(args),
    )
    if args.update:
        print(f"reference updated: {len(result.reproduced)} run(s) in {args.reference}/")
        return 0
    for line in result.lines():
        print(line)
    if result.comparison is not None:
        print()
        _emit_comparison(result.comparison, args.format)
    print(result.verdict())
    return result.exit_code


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from bench.compare import find_runs
    from bench.io import write_text_atomic
    from bench.report import leaderboard, load_run

    run_dirs = find_runs(args.runs)
    data = [load_run(d) for d in run_dirs.values()]
    rows = leaderboard.entries([(r.metrics, r.manifest) for r in data], args.sort)
    if not args.no_tiers:
        rows = leaderboard.assign_tiers(rows, run_dirs, args.sort, args.alpha)
    render = {
        "text": leaderboard.render_text,
        "markdown": leaderboard.render_markdown,
        "csv": leaderboard.render_csv,
        "html": leaderboard.render_html,
    }[args.format]
    text = render(rows)
    if args.out:
        write_text_atomic(args.out, text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


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
        type=int,
        default=1,
        metavar="N",
        help="folds fitted in parallel (results are identical for any N)",
    )
    p.add_argument("--out", type=Path, default=out, help=out_help)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance-bench",
        description="Fact-and-stance classification benchmark: derive the dataset, run "
        "baselines from configs, report and compare results.",
        epilog="Exit codes: 0 success, 1 regression or result not reproduced, 2 usage or "
        "input error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"stance-bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("derive", help="derive the labeled dataset from seeds/")
    p.add_argument(
        "--seeds",
        type=Path,
        default=Path("seeds"),
        help="folder of articles and annotations (default: seeds)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("data/derived"),
        help="output folder (default: data/derived)",
    )
    p.set_defaults(func=_cmd_derive)

    p = sub.add_parser("run", help="run experiments from configs and print a leaderboard")
    _add_run_options(p, Path("runs"), "runs folder (default: runs)")
    p.add_argument(
        "--force",
        action="store_true",
        help="re-run even when a complete run of the same config and data exists",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", help="re-render report.md and report.html of run folders")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "compare",
        help="compare two runs (or folders of runs) with paired "
        "significance tests; exit 1 on regression",
    )
    p.add_argument("base", type=Path, metavar="BASE")
    p.add_argument("candidate", type=Path, metavar="CANDIDATE")
    _add_gate_options(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "check",
        help="re-run configs and compare with the committed reference "
        "results; exit 1 when not reproduced or regressed",
    )
    _add_run_options(p, None, "keep the fresh runs in this folder (default: a temp folder)")
    p.add_argument(
        "--reference",
        type=Path,
        default=Path("results/reference"),
        help="reference results folder (default: results/reference)",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="rewrite the reference from this run (after an intended change)",
    )
    _add_gate_options(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("leaderboard", help="one table per task with CIs and significance tiers")
    p.add_argument(
        "runs", nargs="+", type=Path, metavar="RUNS", help="run folders or folders of runs"
    )
    p.add_argument("--sort", default="macro_f1", choices=REPORTED)
    p.add_argument("--format", choices=("text", "markdown", "csv", "html"), default="text")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level for tiers")
    p.add_argument("--no-tiers", action="store_true", help="skip the significance tiers")
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.set_defaults(func=_cmd_leaderboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BenchError as err:
        print(f"stance-bench: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(
            "stance-bench: interrupted; completed outputs were kept, partial ones removed",
            file=sys.stderr,
        )
        return 130
