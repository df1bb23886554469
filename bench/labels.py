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

# A model that answers (a predictions file, a chat endpoint) may give no label of the task:
# why it did not, and how such abstentions are scored. "abstained": the system said it has
# no answer (predicted null); "unknown_label": it answered a label outside the task;
# "parse_failure": no label could be read from its answer; "missing": the predictions
# file has no line for the item (only with an abstention policy set; else an error).
ABSTAIN_REASONS: tuple[str, ...] = ("abstained", "unknown_label", "parse_failure", "missing")
# "wrong": an abstention is an error (a miss of the gold label, nobody's false positive);
# "drop": abstentions are left out of the scores, which then cover fewer items (flagged).
ABSTAIN_POLICIES: tuple[str, ...] = ("wrong", "drop")
