"""Allowed values, declared once and light to import (the CLI builds its choices from
them without loading numpy): the metric registry, the paired tests, the gate's modes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """A reported metric: its key in ``metrics.json``, how it is shown, which way is better.

    Metrics that need no probabilities are computed from confusion counts, so they can be
    bootstrapped and compared with paired tests; ``log_loss`` only needs probabilities.
    """

    name: str
    label: str
    higher_is_better: bool
    needs_proba: bool = False

    @property
    def comparable(self) -> bool:
        """Computed from confusion counts: paired tests and tiers can use it."""
        return not self.needs_proba


# The metric registry, in display order: the CLI choices, compare, the leaderboard and the
# reports all read it.
METRICS: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        MetricSpec("macro_f1", "macro-F1", True),
        MetricSpec("accuracy", "accuracy", True),
        MetricSpec("f_avg", "F_avg", True),
        MetricSpec("kappa", "Cohen's kappa", True),
        MetricSpec("log_loss", "log-loss", False, needs_proba=True),
    )
}
NAMED: tuple[str, ...] = tuple(name for name, spec in METRICS.items() if spec.comparable)

# default locations, relative to the working folder (the CLI's defaults, the Python API's,
# and a config's seed dataset when it names no folders)
DEFAULT_SEEDS = "seeds"
DEFAULT_DATA = "data/derived"
DEFAULT_CONFIGS = "configs"
DEFAULT_RUNS = "runs"
DEFAULT_REFERENCE = "results/reference"
# files a run writes beside its run folders (no run may take their names)
LEADERBOARD_MD, LEADERBOARD_CSV = "leaderboard.md", "leaderboard.csv"
SWEEP_SUFFIXES = (".sweep.md", ".sweep.html")  # <sweep name><suffix>
ENVIRONMENT = "environment.json"  # beside the entries of a reference: the versions that made it

# the paired tests bench.stats implements; the first decides by default
TESTS = ("sign-flip", "bootstrap", "permutation", "mcnemar", "nadeau_bengio")
# what fails the gate: a significant regression, any change, or nothing
FAIL_ON = ("regression", "any-change", "never")
