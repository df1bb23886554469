"""Rendering only: ``render_*(typed input) -> str``. Files are written by the callers
(``bench.execute`` for run folders, ``bench.cli`` for the rest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.runs import MetricsDoc


@dataclass(frozen=True)
class RunData:
    """What a run report shows: a run's metrics, manifest and misclassified examples."""

    metrics: MetricsDoc
    manifest: dict = field(default_factory=dict)
    misclassified: list = field(default_factory=list)


def render_markdown(data: RunData) -> str:
    from bench.report.markdown import render

    return render(data)


def render_html(data: RunData) -> str:
    from bench.report.html import render

    return render(data)
