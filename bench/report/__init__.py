"""Rendering: ``render_*(data) -> str``; writing files is separate (``write_reports``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RunData:
    """What a run report shows: a run's metrics, manifest and misclassified examples."""

    metrics: dict
    manifest: dict = field(default_factory=dict)
    misclassified: list = field(default_factory=list)


def render_markdown(data: RunData) -> str:
    from bench.report.markdown import render

    return render(data)


def render_html(data: RunData) -> str:
    from bench.report.html import render

    return render(data)


def write_reports(run_dir: Path) -> list[Path]:
    """Re-render report.md and report.html of a run folder from its files."""
    from bench.io import write_text_atomic
    from bench.runs import load_run

    run = load_run(run_dir)
    data = RunData(run.metrics, run.manifest, run.misclassified)
    out = []
    for name, text in (("report.md", render_markdown(data)), ("report.html", render_html(data))):
        write_text_atomic(Path(run_dir) / name, text)
        out.append(Path(run_dir) / name)
    return out
