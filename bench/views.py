"""The views of a run, declared once: what each trains and tests on, its title, whether it
counts toward the rank score, and the planner that draws its rows and folds.

Every other module reads view names, titles and order from ``VIEWS``: the config's
``[views]`` switches (the optional views), metrics.json (the main view at the top level,
the others under ``views``), the reports, the leaderboard and the rank score. Adding a view
is one ``View`` here and its planner.

The main view is ``cv`` (folds of the dataset), or ``test`` when the config has a
``[test]`` table (train on the dataset, test on the test set). A planner may find its
view does not apply to the data (one article: no ``cross_article``); it returns an
``Absent`` with the reason, which metrics.json and the report keep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.errors import ProtocolError
from bench.protocol import Fold, make_folds

if TYPE_CHECKING:
    import pandas as pd

    from bench.config import Config, DatasetConfig

DataCache = dict[tuple["DatasetConfig", str, str], "pd.DataFrame"]


@dataclass(frozen=True)
class ViewPlan:
    """One view ready to fit: the rows it trains and tests on, and its folds."""

    name: str
    frame: pd.DataFrame  # id, text, target, label, group (+ evidence for seed data)
    folds: list[Fold]
    protocol: dict[str, Any]  # what metrics.json records about how folds were drawn
    same_as: str | None = None  # zero-shot: the view whose items and predictions these are


@dataclass(frozen=True)
class Absent:
    """A view that does not apply to this data, and why (shown in the report)."""

    name: str
    reason: str


Planner = Callable[["Config", "ViewPlan | None", "DataCache | None"], "ViewPlan | Absent"]


@dataclass(frozen=True)
class View:
    """A view: ``trains_on``/``tests_on`` say what it measures; ``ranks``, whether its
    score is part of the rank score (``bench.ranking``, see ``rank_views``);
    ``ranks_with_test``, whether it still does beside a held-out ``test`` view (only views
    that test on the test data do); ``optional``, whether a config switches it in
    ``[views]`` (the main view is always there); ``default``, whether it is on when the
    config does not say; ``seed_only``, whether it needs the seed dataset (its articles'
    annotations)."""

    name: str
    title: str
    trains_on: str
    tests_on: str
    ranks: bool
    optional: bool
    seed_only: bool
    plan: Planner
    default: bool = False
    ranks_with_test: bool = False


# ------------------------------------------------------------------------------ data
def _load(ds: DatasetConfig, task: str, split: str, where: str, cache: DataCache | None):
    from bench.data import source_frame

    key = (ds, task, split)
    if cache is not None and key in cache:
        return cache[key]
    frame, extras = source_frame(ds, task, where, split=split)
    for name, col in extras.items():
        frame[name] = col.values
    if cache is not None:
        cache[key] = frame
    return frame


def _folds(cfg: Config, kind: str, frame, is_test, where: str, **options) -> list[Fold]:
    group_by = options.pop("group_by")
    if group_by not in frame or (frame[group_by].astype(str) == "").all():
        raise ProtocolError(
            f"{cfg.path} {where}: group_by = {group_by!r} needs a {group_by} per row, which "
            f"this data lacks; the seed dataset has one, a file can map one in "
            f'[dataset.columns] ({group_by} = "...")'
        )
    try:
        return make_folds(
            kind,
            frame["label"].to_numpy(),
            frame[group_by].to_numpy(),
            cfg.seed,
            is_test=is_test,
            require_stratified=group_by == "group",
            **options,
        )
    except ProtocolError as err:
        raise ProtocolError(f"{cfg.path} {where}: {err}") from None


def _protocol_doc(kind: str, group_by: str, n_splits: int, folds: list[Fold]) -> dict[str, Any]:
    return {
        "kind": kind,
        "group_by": group_by,
        "n_splits": n_splits,
        "n_repeats": len({f.repeat for f in folds}),
        "n_folds": len(folds),
    }


def _run_labels(cfg: Config, frame) -> tuple[str, ...]:
    """The labels of a run: the config's (``Config.labels``) that the evaluated data
    (``frame``: the ``[test]`` set, else the dataset) holds, so that no macro average
    counts a label no split can contain (a CSV of our labels with no ``skeptical`` row, a
    mapped label no row has)."""
    held = set(frame["label"])
    return tuple(lab for lab in cfg.labels if lab in held)


def _stack(train, test):
    """Training rows, then test rows (``is_test``), one frame: a column only one side has
    (a seed dataset's article, evidence) is "" on the other, never NaN."""
    import pandas as pd

    frame = pd.concat([train.assign(is_test=False), test.assign(is_test=True)], ignore_index=True)
    for col in frame.columns:
        column = frame[col]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            frame[col] = column.fillna("")
    return frame


def _keep_labels(frame, labels: tuple[str, ...]):
    """The rows whose label the run scores, and how many of each other label were dropped."""
    kept = frame["label"].isin(list(labels))
    dropped = frame.loc[~kept, "label"].value_counts().sort_index()
    return frame[kept].reset_index(drop=True), {str(k): int(v) for k, v in dropped.items()}


# --------------------------------------------------------------------------- planners
def _plan_cv(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    frame = _load(cfg.dataset, cfg.task, "train", "dataset", cache)
    p = cfg.protocol
    folds = _folds(
        cfg,
        p.kind,
        frame,
        None,
        "[protocol]",
        group_by=p.group_by,
        n_splits=p.n_splits,
        n_repeats=p.n_repeats,
        test_size=p.test_size,
    )
    doc = _protocol_doc(p.kind, p.group_by, p.n_splits, folds)
    labels = _run_labels(cfg, frame)
    if labels != cfg.labels:  # recorded when narrowed (the test view always records them)
        doc["labels"] = list(labels)
    return ViewPlan("cv", frame, folds, doc)


def _plan_test(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    """Train on every row of ``[dataset]``, test on every row of ``[test]``. The run's
    labels are the test set's (``_run_labels``): training rows of any other label are
    dropped (the protocol records how many), so no metric averages over a label the test
    set cannot hold."""

    assert cfg.test is not None
    test = _load(cfg.test, cfg.task, "train", "test", cache)
    if len(test) == 0:
        from bench.labels import TASKS

        raise ProtocolError(
            f"{cfg.path}: the [test] data holds no row of the task {cfg.task!r} (labels "
            f"{', '.join(TASKS[cfg.task].labels)}) after its labels mapping; test on data "
            "with such rows, or set task"
        )
    labels = _run_labels(cfg, test)
    if len(labels) < 2:  # every prediction of that label is right: a 1.0 that means nothing
        raise ProtocolError(
            f"{cfg.path}: the [test] data holds one label of the task {cfg.task!r} "
            f"({labels[0]!r}); a score needs test rows of two labels or more: test on such "
            "data, or set task"
        )
    train, dropped = _keep_labels(_load(cfg.dataset, cfg.task, "train", "dataset", cache), labels)
    if len(train) == 0:
        raise ProtocolError(
            f"{cfg.path}: [dataset] holds no training row of the labels the [test] data has "
            f"({', '.join(labels)}); train on data with such rows"
        )
    frame = _stack(train, test)
    is_test = frame["is_test"].to_numpy()
    p = cfg.protocol
    folds = _folds(cfg, "split", frame, is_test, "[test]", group_by="group")
    doc = _protocol_doc("split", "group", p.n_splits, folds)
    doc["labels"] = list(labels)
    if dropped:
        doc["dropped_train_labels"] = dropped
    return ViewPlan("test", frame, folds, doc)


def _training_rows(main: ViewPlan):
    """The rows the main view trains on: all of them, or those not in a ``[test]`` set."""
    frame = main.frame
    if "is_test" in frame:
        return frame[~frame["is_test"].astype(bool)].drop(columns="is_test").reset_index(drop=True)
    return frame


def _plan_cross_target(
    cfg: Config, main: ViewPlan | None, cache: DataCache | None
) -> ViewPlan | Absent:
    """Leave one target out. Beside a ``[test]`` set it tests on the test data: each test
    target in turn, trained on the training rows of every other target."""
    import pandas as pd

    assert main is not None
    if "is_test" in main.frame:
        frame = main.frame
        test = frame[frame["is_test"].astype(bool)]
        train = frame[~frame["is_test"].astype(bool)]
        targets = sorted(set(test["target"]) - {""})
        shared = [t for t in targets if t in set(train["target"])]
        if not shared:
            return Absent(
                "cross_target",
                "no target of the test set occurs in the training data: the test view "
                "already tests on unseen targets"
                if targets
                else "the test set has no targets",
            )
        y_train = train["target"].to_numpy()
        folds = [
            Fold(
                0,
                i,
                np.flatnonzero(frame.index.isin(train.index[y_train != t])),
                np.flatnonzero(frame.index.isin(test.index[test["target"].to_numpy() == t])),
            )
            for i, t in enumerate(targets)
        ]
        doc = _protocol_doc("leave_one_group_out", "target", 3, folds)
        doc["tests_on"] = TEST
        return ViewPlan("cross_target", pd.DataFrame(frame), folds, doc)
    frame = main.frame
    n_targets = frame["target"].nunique()
    if n_targets < 2:
        raise ProtocolError(
            f"{cfg.path} [views]: cross_target needs at least two targets; the data has "
            f"{n_targets}; set cross_target = false"
        )
    kind = "leave_one_group_out"
    folds = _folds(cfg, kind, frame, None, "[views] cross_target", group_by="target")
    # n_splits as ProtocolConfig's default records it (it does not apply to this kind)
    return ViewPlan("cross_target", frame, folds, _protocol_doc(kind, "target", 3, folds))


def _plan_cross_article(
    cfg: Config, main: ViewPlan | None, cache: DataCache | None
) -> ViewPlan | Absent:
    """Leave one article out: train on every other article's items, test on its own."""
    assert main is not None
    frame = _training_rows(main)
    articles = sorted(set(frame["article"]) - {""}) if "article" in frame else []
    if len(articles) < 2:
        what = f"one article ({articles[0]})" if articles else "no articles"
        return Absent("cross_article", f"the dataset has {what}; it needs two or more")
    kind = "leave_one_group_out"
    folds = _folds(cfg, kind, frame, None, "[views] cross_article", group_by="article")
    return ViewPlan("cross_article", frame, folds, _protocol_doc(kind, "article", 3, folds))


def _plan_contrast(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    """Train on the main view's training rows, test on the contrast suite of the seed
    dataset (the ``[test]`` one when it is the seed, else ``[dataset]``)."""

    from bench.corpus.store import CONTRAST_SPLIT

    assert main is not None
    train = _training_rows(main)
    seed, where = (
        (cfg.test, "test")
        if cfg.test is not None and cfg.test.source == "seed"
        else (cfg.dataset, "dataset")
    )
    test = _load(seed, cfg.task, CONTRAST_SPLIT, where, cache)
    labels = tuple(main.protocol.get("labels", cfg.labels))
    test, dropped = _keep_labels(test, labels)
    frame = _stack(train, test)
    is_test = frame["is_test"].to_numpy()
    folds = [Fold(0, 0, np.flatnonzero(~is_test), np.flatnonzero(is_test))]
    doc: dict[str, Any] = {
        "kind": "contrast",
        "group_by": "group",
        "n_splits": 1,
        "n_repeats": 1,
        "n_folds": 1,
    }
    if dropped:
        doc["dropped_test_labels"] = dropped
    return ViewPlan("contrast", frame, folds, doc)


# ------------------------------------------------------------------------------ registry
VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View(
            "cv",
            "In-data cross-validation",
            trains_on="the config's folds of its dataset",
            tests_on="the held-out folds (grouped by sentence)",
            ranks=False,
            optional=False,
            seed_only=False,
            plan=_plan_cv,
        ),
        View(
            "test",
            "Held-out test set",
            trains_on="every row of [dataset] (of the labels the test set has)",
            tests_on="every row of [test], none of which is seen in training",
            ranks=True,
            optional=False,
            seed_only=False,
            plan=_plan_test,
            ranks_with_test=True,
        ),
        View(
            "cross_target",
            "Cross-target (each target held out in turn)",
            trains_on="every item of the other targets",
            tests_on="the items of one target, no item of which is seen in training",
            ranks=True,
            optional=True,
            seed_only=False,
            plan=_plan_cross_target,
            ranks_with_test=True,
        ),
        View(
            "cross_article",
            "Cross-article (each article held out in turn)",
            trains_on="every item of the other articles",
            tests_on="the items of one article, no sentence of which is seen in training",
            ranks=True,
            optional=True,
            seed_only=False,
            plan=_plan_cross_article,
            default=True,
        ),
        View(
            "contrast",
            "Contrast suite (trained on every item)",
            trains_on="every item",
            tests_on="the contrast suite derived from the items",
            ranks=True,
            optional=True,
            seed_only=True,
            plan=_plan_contrast,
        ),
    )
}
MAIN = "cv"  # the main view without a [test] set: planned first, the others start from it
TEST = "test"  # the main view of a config with a [test] set
OPTIONAL = tuple(name for name, v in VIEWS.items() if v.optional)
RANKED = tuple(name for name, v in VIEWS.items() if v.ranks)


# What a sweep's inner selection (select = "inner_cv") can select on: a view, and the
# column its inner folds hold out (leave one target out, or grouped k-fold on sentences).
# The default is the view that ranks (cross-target): selecting on in-data CV rewards the
# target shortcut the rank score is built to avoid.
SELECT_ON = {"cross_target": "target", MAIN: "group"}


def main_view(cfg: Config) -> str:
    return TEST if cfg.test is not None else MAIN


def rank_views(present) -> list[str]:
    """The views whose scores make the rank score of a run that has the views
    ``present``: those that test on data the model did not train on. Beside a held-out
    ``test`` view, it and the views that test on its data (``ranks_with_test``); else
    every ranked view present; else the first (main) view."""
    names = order(present)
    if TEST in names:
        return [n for n in names if n in VIEWS and VIEWS[n].ranks_with_test]
    ranked = [n for n in names if n in VIEWS and VIEWS[n].ranks]
    return ranked or names[:1]


def order(names) -> list[str]:
    """``names`` in registry order (unknown names last, as given)."""
    names = list(names)
    known = [n for n in VIEWS if n in names]
    return known + [n for n in names if n not in VIEWS]


def title(name: str) -> str:
    view = VIEWS.get(name)
    return view.title if view is not None else name


@dataclass(frozen=True)
class Planned:
    """A config's views ready to fit (the main one first), the views that do not apply to
    its data (and why), and the run's labels."""

    views: list[ViewPlan]
    absent: dict[str, str]
    labels: tuple[str, ...]


def zero_shot(plan: ViewPlan, main: ViewPlan | None = None) -> ViewPlan:
    """A view for a model that learns nothing (``trained = false``): every item the view
    tests, once, in one fold that trains on nothing. Training splits then make no
    difference, so a view that tests the same items as ``main`` coincides with it
    (``same_as``): its predictions and scores are the main view's."""
    rows = np.unique(np.concatenate([f.test for f in plan.folds]))
    ids = np.sort(plan.frame["id"].to_numpy()[rows].astype(str))
    if main is not None:
        main_ids = np.sort(main.frame["id"].to_numpy()[main.folds[0].test].astype(str))
        if np.array_equal(ids, main_ids):
            return ViewPlan(plan.name, main.frame, main.folds, main.protocol, same_as=main.name)
    folds = [Fold(0, 0, np.zeros(0, dtype=np.int64), rows)]
    doc = {"kind": "zero_shot", "group_by": plan.protocol.get("group_by", "group")}
    doc.update({"n_splits": 1, "n_repeats": 1, "n_folds": 1})
    if "labels" in plan.protocol:
        doc["labels"] = plan.protocol["labels"]
    return ViewPlan(plan.name, plan.frame, folds, doc)


def plan_views(cfg: Config, cache: DataCache | None = None, *, trained: bool = True) -> Planned:
    """The main view, then every optional view the config switches on, in registry order;
    for an untrained model, each as ``zero_shot`` makes it."""
    main = VIEWS[main_view(cfg)].plan(cfg, None, cache)
    assert isinstance(main, ViewPlan)
    labels = tuple(main.protocol.get("labels", cfg.labels))
    if not trained:
        main = zero_shot(main)
    plans, absent = [main], {}
    for name in OPTIONAL:
        if cfg.views.on(name):
            planned = VIEWS[name].plan(cfg, main, cache)
            if isinstance(planned, Absent):
                absent[name] = planned.reason
            else:
                plans.append(planned if trained else zero_shot(planned, main))
    return Planned(plans, absent, labels)
