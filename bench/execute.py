"""Run configs into a runs folder: ``bench.runner`` computes, ``bench.runs`` gives the run
folder's files and writes them, ``bench.report`` renders the reports. The CLI's ``run``
and the gate's ``check`` both run configs through ``run_configs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.backends import Backend
from bench.config import Config
from bench.items import Items
from bench.runs import MetricsDoc, RunDocuments
from bench.specs import DEFAULT_REFERENCE


@dataclass(frozen=True)
class RunRecord:
    """A run as the CLI reports it: where it is and whether it was reused."""

    config: Config
    run_dir: Path
    metrics: MetricsDoc
    manifest: dict[str, Any]
    reused: bool = False


def report_files(docs: RunDocuments | Any) -> dict[str, str]:
    """report.md and report.html of a run's documents (computed, or loaded: a ``Run``)."""
    from bench.report import RunData, render_html, render_markdown

    data = RunData(metrics=docs.metrics, manifest=docs.manifest, misclassified=docs.misclassified)
    return {"report.md": render_markdown(data), "report.html": render_html(data)}


def rewrite_reports(run_dir: Path) -> list[Path]:
    """Re-render report.md and report.html of a run folder from its files."""
    from bench.io import write_text_atomic, writing_into
    from bench.runs import load_run

    out = []
    files = report_files(load_run(run_dir))
    with writing_into(run_dir, fix="free space, or check the folder's permissions"):
        for name, text in files.items():
            write_text_atomic(Path(run_dir) / name, text)
            out.append(Path(run_dir) / name)
    return out


def export_items(cfg: Config, *, train: bool = False) -> tuple[Items, str]:
    """The items ``cfg`` evaluates (``bench.items``) and the items.jsonl text; with
    ``train``, a trained model's file also lists each fold's training items."""
    from bench.items import lines, planned
    from bench.runner import plan

    trained, views, labels = plan(cfg)
    items = planned(views, trained)  # the labels a system may answer: the run's (narrowed)
    text = lines(items, cfg.name, cfg.task, list(labels), views if train else None)
    return items, text


def run_configs(
    configs: list[Config],
    out: Path,
    *,
    n_jobs: int = 1,
    threads: int | None = None,
    force: bool = False,
    progress: bool = True,
    backend: Backend | None = None,
    warn: Callable[[str], None] | None = None,
    reference: Path | None = Path(DEFAULT_REFERENCE),
) -> list[RunRecord]:
    """Run every config into ``out/<name>/``; complete runs of unchanged configs (same
    config, data, folds, code and dependency files) are reused. A config's run folder is
    written as soon as its last fold is in, so an interruption keeps the runs already
    complete. ``out`` may not be (or be inside) ``reference``, nor a folder the configs read
    (``bench.runs.check_out``)."""
    from tqdm.auto import tqdm

    from bench.backends import warm_up
    from bench.io import writing_into
    from bench.runner import Prepared, count_folds, prepare, run, warm_call
    from bench.runs import check_out, reusable, run_documents, write_run
    from bench.views import DataCache

    check_out(out, configs, reference)
    backend = backend or Backend()
    # the worker processes start (and import what the fits need) while configs load, as
    # soon as there are surely as many folds to fit as processes (never for plug-ins:
    # warm_call is None, their code runs only inside a fold's guard)
    call = warm_call(configs)
    new = [c for c in configs if force or not (Path(out) / c.name).exists()]
    warmed = call is None or len(new) >= n_jobs
    if call is not None and warmed:
        warm_up(n_jobs, backend, call)
    cache: DataCache = {}
    todo: list[Prepared] = []
    records: dict[str, RunRecord] = {}
    for cfg in tqdm(configs, desc="loading", unit="config", disable=not progress, leave=False):
        prep = prepare(cfg, cache)
        run_dir = Path(out) / cfg.name
        old = None if force else reusable(run_dir, prep.hashes)
        if old is not None:
            records[cfg.name] = RunRecord(cfg, run_dir, old.metrics, old.manifest, True)
            continue
        todo.append(prep)
        if not warmed and call is not None and count_folds(todo) >= n_jobs:
            warm_up(n_jobs, backend, call)
            warmed = True
    with writing_into(out, fix="free space, or choose another --out"):
        Path(out).mkdir(parents=True, exist_ok=True)  # only once every config has loaded
    n_folds = count_folds(todo)
    with tqdm(
        total=n_folds, desc="folds", unit="fold", disable=not progress or not n_folds, leave=False
    ) as bar:
        outputs = run(
            todo,
            n_jobs=n_jobs,
            threads=threads,
            backend=backend,
            warn=warn,
            on_fold=lambda: bar.update(1),
            runs=Path(out).resolve(),
        )
        for output in outputs:
            name = output.config.name
            bar.set_postfix_str(f"{name}: reports")
            run_dir = Path(out) / name
            docs = run_documents(output, run_dir)
            write_run(run_dir, {**docs.files, **report_files(docs)})
            records[name] = RunRecord(output.config, run_dir, docs.metrics, docs.manifest)
            bar.set_postfix_str(f"{len(records)} of {len(configs)} written")
    return [records[cfg.name] for cfg in configs]
