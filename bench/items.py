"""The items a config evaluates, as a system that runs elsewhere must predict them.

``planned(views, trained)`` lists them from a config's planned views (``bench.views``):

- a model trained per fold predicts each test item of each (view, repeat, fold): one row
  per such prediction, with ``view``, ``repeat``, ``fold``;
- an untrained (zero-shot) model predicts each item once, whatever the view: one row per
  item id (the views whose items coincide are one).

``digest`` hashes the rows (ids, where they are tested, texts, targets): a predictions
file that carries the digest of the items it was made for is stale when the config's
items have changed since (``bench.models.external``). ``lines`` is the items.jsonl text:
a header line (``HEADER``: the config, task, labels, whether the model trains, the
number of rows and the digest), then the rows; with ``train``, also each fold's training
items with their gold labels (``split = "train"``), for a system trained per fold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.io import sha256_bytes

if TYPE_CHECKING:
    import pandas as pd

    from bench.views import ViewPlan

HEADER = "stance_bench_items"  # the key of the header line of items.jsonl
VERSION = 1
KEYS = ("view", "repeat", "fold")  # where a per-fold prediction belongs


@dataclass(frozen=True)
class Items:
    """The rows to predict: columns id, text, target, and (trained) view, repeat, fold."""

    trained: bool
    rows: pd.DataFrame
    digest: str

    def lookup_keys(self) -> list[tuple]:
        """What a prediction is looked up by: the id, or (view, repeat, fold, id)."""
        if not self.trained:
            return [(i,) for i in self.rows["id"].tolist()]
        r = self.rows
        return list(
            zip(
                r["view"].tolist(),
                r["repeat"].tolist(),
                r["fold"].tolist(),
                r["id"].tolist(),
                strict=True,
            )
        )


def _digest(rows: pd.DataFrame) -> str:
    cols = [c for c in ("id", *KEYS, "text", "target") if c in rows]
    return sha256_bytes(*("\x1f".join(map(str, rows[c].tolist())).encode("utf-8") for c in cols))


def planned(views: list[ViewPlan], trained: bool) -> Items:
    """The test rows of ``views`` as ``Items`` (see the module docstring)."""
    import pandas as pd

    parts = []
    for plan in views:
        if plan.same_as is not None:
            continue  # the same items as another view
        for f in plan.folds:
            part = plan.frame.iloc[f.test][["id", "text", "target"]].astype(str)
            if trained:
                part = part.assign(view=plan.name, repeat=f.repeat, fold=f.fold)
            parts.append(part)
    columns = ["id", *KEYS, "text", "target"] if trained else ["id", "text", "target"]
    rows = (
        pd.concat(parts, ignore_index=True)[columns]
        if parts
        else pd.DataFrame({c: [] for c in columns})
    )
    if not trained:
        rows = rows.drop_duplicates(["id", "text", "target"]).sort_values("id", kind="stable")
        rows = rows.reset_index(drop=True)
        clash = rows["id"].duplicated(keep=False)
        if clash.any():  # pragma: no cover - ids are unique per dataset and split
            raise ValueError(f"items share an id with different texts: {rows['id'][clash][:3]}")
    return Items(trained, rows, _digest(rows))


def header(items: Items, config: str, task: str, labels: list[str]) -> dict[str, Any]:
    return {
        HEADER: VERSION,
        "config": config,
        "task": task,
        "labels": list(labels),
        "trained": items.trained,
        "n_items": len(items.rows),
        "digest": items.digest,
    }


def lines(
    items: Items,
    config: str,
    task: str,
    labels: list[str],
    views: list[ViewPlan] | None = None,
) -> str:
    """items.jsonl: the header line, then one line per row to predict; with ``views``
    (a trained model's), before each fold's test rows its training rows with labels."""

    def dump(obj: dict[str, Any]) -> str:
        return json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n"

    out = [dump(header(items, config, task, labels))]
    if views is None or not items.trained:
        for row in items.rows.to_dict("records"):
            out.append(dump({k: _plain(v) for k, v in row.items()}))
        return "".join(out)
    for plan in views:
        for f in plan.folds:
            where = {"view": plan.name, "repeat": f.repeat, "fold": f.fold}
            frame = plan.frame
            for i in f.train:
                out.append(
                    dump(
                        {
                            "id": str(frame["id"].iat[i]),
                            **where,
                            "split": "train",
                            "text": str(frame["text"].iat[i]),
                            "target": str(frame["target"].iat[i]),
                            "label": str(frame["label"].iat[i]),
                        }
                    )
                )
            for i in f.test:
                out.append(
                    dump(
                        {
                            "id": str(frame["id"].iat[i]),
                            **where,
                            "split": "test",
                            "text": str(frame["text"].iat[i]),
                            "target": str(frame["target"].iat[i]),
                        }
                    )
                )
    return "".join(out)


def _plain(value: Any) -> Any:
    """A numpy scalar (an int column's value) as the Python value JSON writes."""
    return value.item() if hasattr(value, "item") else value
