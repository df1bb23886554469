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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stance-bench",
        description="Fact-and-stance classification benchmark: derive the dataset, run "
        "baselines from configs, report and compare results.",
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
    p.add_argument(
        "configs",
        nargs="*",
        type=Path,
        metavar="CONFIG_OR_DIR",
        help="config files or folders of them (default: configs/)",
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        metavar="N",
        help="folds fitted in parallel (results are identical for any N)",
    )
    p.add_argument("--out", type=Path, default=Path("runs"), help="runs folder (default: runs)")
    p.add_argument(
        "--force",
        action="store_true",
        help="re-run even when a complete run of the same config and data exists",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", help="re-render report.md and report.html of run folders")
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    p.set_defaults(func=_cmd_report)
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
