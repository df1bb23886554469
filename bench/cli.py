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


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seeds",
        type=Path,
        default=Path("seeds"),
        help="folder of articles and annotations (default: seeds)",
    )
    p.add_argument(
        "--data",
        dest="out",
        type=Path,
        default=Path("data/derived"),
        help="folder of the derived dataset (default: data/derived)",
    )


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
