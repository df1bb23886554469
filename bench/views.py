"""The views of a run, declared once: what each trains and tests on, its title, whether it
counts toward the rank score, and the planner that draws its rows and folds.

Every other module reads view names, titles and order from ``VIEWS``: the config's
``[views]`` switches (the optional views), metrics.json (the main view at the top level,
the others under ``views``), the reports, the leaderboard and the rank score. Adding a view
is one ``View`` here and its planner.
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


Planner = Callable[["Config", "ViewPlan | None", "DataCache | None"], ViewPlan]


@dataclass(frozen=True)
class View:
    """A view: ``trains_on``/``tests_on`` say what it measures; ``ranks``, whether its
    score is part of the rank score (``bench.ranking``); ``optional``, whether a config
    switches it on in ``[views]`` (the main view is always there); ``seed_only``, whether
    it needs the seed dataset (its articles' annotations)."""

    name: str
    title: str
    trains_on: str
    tests_on: str
    ranks: bool
    optional: bool
    seed_only: bool
    plan: Planner


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
    try:
        return make_folds(
            kind,
            frame["label"].to_numpy(),
            frame["target" if group_by == "target" else "group"].to_numpy(),
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


# --------------------------------------------------------------------------- planners
def _plan_cv(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    import pandas as pd

    frame = _load(cfg.dataset, cfg.task, "train", "dataset", cache)
    is_test = None
    if cfg.test is not None:
        test = _load(cfg.test, cfg.task, "train", "test", cache)
        frame = pd.concat(
            [frame.assign(is_test=False), test.assign(is_test=True)], ignore_index=True
        )
        is_test = frame["is_test"].to_numpy()
    p = cfg.protocol
    folds = _folds(
        cfg,
        p.kind,
        frame,
        is_test,
        "[protocol]",
        group_by=p.group_by,
        n_splits=p.n_splits,
        n_repeats=p.n_repeats,
        test_size=p.test_size,
    )
    return ViewPlan("cv", frame, folds, _protocol_doc(p.kind, p.group_by, p.n_splits, folds))


def _plan_cross_target(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    assert main is not None
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


def _plan_contrast(cfg: Config, main: ViewPlan | None, cache: DataCache | None) -> ViewPlan:
    import pandas as pd

    from bench.corpus.store import CONTRAST_SPLIT

    assert main is not None
    train = main.frame
    test = _load(cfg.dataset, cfg.task, CONTRAST_SPLIT, "dataset", cache)
    frame = pd.concat([train.assign(is_test=False), test.assign(is_test=True)], ignore_index=True)
    is_test = frame["is_test"].to_numpy()
    folds = [Fold(0, 0, np.flatnonzero(~is_test), np.flatnonzero(is_test))]
    doc = {"kind": "contrast", "group_by": "group", "n_splits": 1, "n_repeats": 1, "n_folds": 1}
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
            "cross_target",
            "Cross-target (each target held out in turn)",
            trains_on="every item of the other targets",
            tests_on="the items of one target, no item of which is seen in training",
            ranks=True,
            optional=True,
            seed_only=False,
            plan=_plan_cross_target,
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
MAIN = "cv"  # always planned first; its rows and folds are what the others start from
OPTIONAL = tuple(name for name, v in VIEWS.items() if v.optional)
RANKED = tuple(name for name, v in VIEWS.items() if v.ranks)


def order(names) -> list[str]:
    """``names`` in registry order (unknown names last, as given)."""
    names = list(names)
    known = [n for n in VIEWS if n in names]
    return known + [n for n in names if n not in VIEWS]


def title(name: str) -> str:
    view = VIEWS.get(name)
    return view.title if view is not None else name


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
    return ViewPlan(plan.name, plan.frame, folds, doc)


def plan_views(
    cfg: Config, cache: DataCache | None = None, *, trained: bool = True
) -> list[ViewPlan]:
    """The main view, then every optional view the config switches on, in registry order;
    for an untrained model, each as ``zero_shot`` makes it."""
    main = VIEWS[MAIN].plan(cfg, None, cache)
    if not trained:
        main = zero_shot(main)
    plans = [main]
    for name in OPTIONAL:
        if cfg.views.on(name):
            plan = VIEWS[name].plan(cfg, main, cache)
            plans.append(plan if trained else zero_shot(plan, main))
    return plans
