"""The reproducibility gate: re-run configs, compare with committed reference results.

``results/reference/<config>/`` holds the ``metrics.json``, ``predictions.jsonl`` and
``config.toml`` of every config. A check passes when every result is reproduced byte for
byte; otherwise it fails and the comparison table says what changed and whether the change
is significant. ``update`` rewrites the reference (all of it, atomically).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.compare import Comparison, compare
from bench.io import replace_dir_atomic, staging_dir, write_text_atomic

REFERENCE_FILES = ("metrics.json", "predictions.jsonl", "config.toml")
COMPARED_FILES = ("metrics.json", "predictions.jsonl")


@dataclass(frozen=True)
class CheckResult:
    reproduced: list[str]
    changed: list[str]
    missing: list[str]  # configs with no reference
    stale: list[str]  # references with no config
    comparison: Comparison | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.changed or self.missing:
            return 1
        return self.comparison.exit_code if self.comparison is not None else 0

    def lines(self) -> list[str]:
        total = len(self.reproduced) + len(self.changed) + len(self.missing)
        out = [f"reproduced exactly: {len(self.reproduced)} of {total}"]
        out += [
            f"NOT reproduced: {name} (metrics or predictions differ from the reference)"
            for name in self.changed
        ]
        out += [
            f"NO reference: {name} (run `stance-bench check --update` after review)"
            for name in self.missing
        ]
        out += [f"note: reference {name} has no config any more" for name in self.stale]
        return out

    def verdict(self) -> str:
        if self.exit_code == 0:
            return "check passed: every result reproduced exactly"
        return (
            "check FAILED: results differ from the reference; if the change is intended, "
            "review the table and run `stance-bench check --update`"
        )


def check(
    targets: list[Path],
    reference: Path,
    *,
    update: bool = False,
    n_jobs: int = 1,
    progress: bool = True,
    out: Path | None = None,
    **gate,
) -> CheckResult:
    """Re-run ``targets`` (into ``out`` when given, else a temp folder) and compare."""
    from bench.config import load_configs
    from bench.report import leaderboard
    from bench.runner import run_configs

    configs = load_configs(targets)
    reference = Path(reference)
    with tempfile.TemporaryDirectory(prefix="stance-bench-check-") as tmp:
        fresh = Path(out) if out is not None else Path(tmp) / "runs"
        results = run_configs(configs, fresh, n_jobs=n_jobs, force=True, progress=progress)
        names = [r.config.name for r in results]
        if update:
            stage = staging_dir(reference)
            for name in names:
                (stage / name).mkdir()
                for f in REFERENCE_FILES:
                    shutil.copy2(fresh / name / f, stage / name / f)
            rows = leaderboard.entries([(r.metrics, None) for r in results])
            write_text_atomic(stage / "leaderboard.md", leaderboard.render_markdown(rows))
            replace_dir_atomic(stage, reference)
            return CheckResult(reproduced=names, changed=[], missing=[], stale=[])
        reproduced, changed, missing = [], [], []
        for name in names:
            ref = reference / name
            if not (ref / "metrics.json").is_file():
                missing.append(name)
            elif all(
                (ref / f).read_bytes() == (fresh / name / f).read_bytes() for f in COMPARED_FILES
            ):
                reproduced.append(name)
            else:
                changed.append(name)
        stale = (
            sorted(d.name for d in reference.iterdir() if d.is_dir() and d.name not in names)
            if reference.is_dir()
            else []
        )
        comparison = None
        if changed:  # reproduced runs are identical by definition: only changes are tested
            base, cand = Path(tmp) / "reference", Path(tmp) / "changed"
            for name in changed:
                shutil.copytree(reference / name, base / name)
                shutil.copytree(fresh / name, cand / name)
            comparison = compare(base, cand, **gate)
        return CheckResult(reproduced, changed, missing, stale, comparison)
