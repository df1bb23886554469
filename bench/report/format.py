"""Number formatting shared by the renderers."""

from __future__ import annotations

# Reported metrics, in display order, with their display names.
METRIC_NAMES = {
    "macro_f1": "macro-F1",
    "accuracy": "accuracy",
    "f_avg": "F_avg",
    "kappa": "Cohen's kappa",
    "log_loss": "log-loss",
}


REPORTED = tuple(METRIC_NAMES)


def num(x, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def ci(interval, digits: int = 3) -> str:
    if not interval or interval[0] is None:
        return ""
    return f"[{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def with_ci(metrics: dict, name: str, digits: int = 3) -> str:
    value = metrics["pooled"].get(name)
    interval = ci(metrics.get("ci", {}).get(name), digits)
    return f"{num(value, digits)} {interval}".strip()


def per_class(metrics: dict):
    """(label, scores) in the task's label order (JSON objects come back key-sorted)."""
    return [(lab, metrics["per_class"][lab]) for lab in metrics["labels"]]
