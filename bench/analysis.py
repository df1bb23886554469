"""Error analysis of a run: the examples a model gets wrong, most often wrong first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from bench.metrics import Predictions

MAX_MISCLASSIFIED = 200


def misclassified(
    frame: pd.DataFrame, preds: Predictions, rows: np.ndarray, labels: list[str]
) -> list[dict[str, Any]]:
    """Examples predicted wrongly in any repeat, most often wrong first (at most 200), each
    with its most frequent wrong label (ties: the label listed first). ``rows`` are the
    ``frame`` rows the predictions are of."""
    import pandas as pd

    from bench.metrics import label_name

    df = pd.DataFrame({"row": rows, "pred": preds.pred, "wrong": preds.pred != preds.gold})
    bad = df[df["wrong"]]
    if bad.empty:
        return []
    total = df.groupby("row").size()
    n_wrong = bad.groupby("row").size()
    top = (
        bad.groupby(["row", "pred"])
        .size()
        .reset_index(name="n")
        .sort_values(["row", "n", "pred"], ascending=[True, False, True])
        .drop_duplicates("row")
        .set_index("row")["pred"]
    )
    table = pd.DataFrame(
        {"wrong": n_wrong, "of": total.reindex(n_wrong.index), "pred": top.reindex(n_wrong.index)}
    )
    table["share"] = table["wrong"] / table["of"]
    table["id"] = frame["id"].to_numpy()[table.index.to_numpy()]
    table = table.sort_values(["share", "id"], ascending=[False, True]).head(MAX_MISCLASSIFIED)
    picked = frame.iloc[table.index.to_numpy()]
    evidence = (
        [e if isinstance(e, str) else None for e in picked["evidence"]]
        if "evidence" in frame
        else None
    )
    return [
        {
            "id": str(src_id),
            "text": str(text),
            "target": str(target),
            "evidence": evidence[i] if evidence is not None else None,
            "gold": str(gold),
            "predicted": label_name(labels, int(pred)),
            "wrong": int(wrong),
            "of": int(of),
        }
        for i, (src_id, text, target, gold, pred, wrong, of) in enumerate(
            zip(
                picked["id"],
                picked["text"],
                picked["target"],
                picked["label"],
                table["pred"],
                table["wrong"],
                table["of"],
                strict=True,
            )
        )
    ]
