"""The label set and the task views of it. Declared once, used everywhere."""

from __future__ import annotations

from dataclasses import dataclass

LABELS: tuple[str, ...] = ("support", "condemn", "skeptical", "fact")
STANCE_LABELS: tuple[str, ...] = ("support", "condemn", "skeptical")
DROP = "drop"  # in a dataset's label mapping: rows with this source label are dropped


@dataclass(frozen=True)
class Task:
    """A view of the dataset: which gold labels it keeps and how it renames them."""

    name: str
    labels: tuple[str, ...]
    mapping: dict[str, str]  # gold label -> task label; gold labels absent here are dropped
    description: str
    f_avg_labels: tuple[str, ...]  # F_avg's default labels (SemEval: FAVOR and AGAINST)


TASKS: dict[str, Task] = {
    "joint": Task(
        "joint",
        LABELS,
        {lab: lab for lab in LABELS},
        "four labels: support, condemn, skeptical, fact",
        ("support", "condemn"),
    ),
    "stance": Task(
        "stance",
        STANCE_LABELS,
        {lab: lab for lab in STANCE_LABELS},
        "stance items only: support, condemn, skeptical",
        ("support", "condemn"),
    ),
    "fact": Task(
        "fact",
        ("stance", "fact"),
        {**{lab: "stance" for lab in STANCE_LABELS}, "fact": "fact"},
        "fact vs. stance (any of support, condemn, skeptical)",
        ("stance",),
    ),
}
