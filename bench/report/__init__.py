"""Rendering: ``render_*(data) -> str``; writing files is separate (``write_reports``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import RunError


@dataclass(frozen=True)
class RunData:
    metrics: dict
    manifest: dict = field(default_factory=dict)
    misclassified: list = field(default_factory=list)


def load_run(run_dir: Path) -> RunData:
    run_dir = Path(run_dir)
    path = run_dir / "metrics.json"
    if not path.is_file():
        raise RunError(
            f"{run_dir}: not a run folder (no metrics.json); run `stance-bench run` first"
        )
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        manifest_path = run_dir / "manifest.json"
        manifest = (
            json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
        )
        mis_path = run_dir / "misclassified.jsonl"
        wrong = (
            [
                json.loads(line)
                for line in mis_path.read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
            if mis_path.is_file()
            else []
        )
    except ValueError as exc:
        raise RunError(f"{run_dir}: a run file is not valid JSON ({exc})") from None
    return RunData(metrics, manifest, wrong)


def render_markdown(data: RunData) -> str:
    from bench.report.markdown import render

    return render(data)


def render_html(data: RunData) -> str:
    from bench.report.html import render

    return render(data)


def write_reports(run_dir: Path) -> list[Path]:
    """Re-render report.md and report.html of a run folder from its files."""
    from bench.io import write_text_atomic

    data = load_run(run_dir)
    out = []
    for name, text in (("report.md", render_markdown(data)), ("report.html", render_html(data))):
        write_text_atomic(Path(run_dir) / name, text)
        out.append(Path(run_dir) / name)
    return out
