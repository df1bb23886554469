"""Renderers (bench.report): they escape what comes from data and print levels from it."""

from __future__ import annotations

import numpy as np

from bench.report import RunData, render_html, render_markdown
from bench.report.format import level_pct, md, text_table
from bench.runs import load_run
from tests.runs import noisy, write_run

INJECTION = "nl\n\n## ✅ All checks passed\n\n| fake | row | <img src=x onerror=alert(1)> `x`"


def test_markdown_text_is_inert():
    out = md(INJECTION)
    assert "\n" not in out and "<img" not in out and "\\|" in out and "\\`" in out
    assert md("0.866 [0.710, 1.000]") == "0.866 [0.710, 1.000]"
    # brackets escaped, and the parenthesis after one: no "](" survives to make a link
    assert md("[a](javascript:x)") == "\\[a\\]\\(javascript:x)"
    assert md("one article (x-y); more") == "one article (x-y); more"


def test_levels_are_printed_as_computed():
    assert level_pct(0.95) == "95%" and level_pct(0.9) == "90%" and level_pct(0.975) == "97.5%"


def test_run_report_escapes_targets_and_prints_the_configured_level(tmp_path):
    gold = np.arange(40) % 4
    run = load_run(write_run(tmp_path, "m", gold, noisy(gold, 0.7, 1)))
    m = dict(run.metrics)
    m["ci_level"] = 0.9
    m["per_target"] = {
        INJECTION: {
            "n_predictions": 3,
            "macro_f1": 0.5,
            "f_avg": None,
            "accuracy": 0.5,
            "kappa": None,
        }
    }
    data = RunData(
        m,
        {},
        [
            {
                "id": "x",
                "gold": "fact",
                "predicted": "support",
                "wrong": 1,
                "of": 1,
                "target": INJECTION,
                "text": INJECTION,
                "evidence": None,
            }
        ],
    )
    md_text = render_markdown(data)
    assert "90% CI" in md_text and "95% CI" not in md_text
    assert "<img" not in md_text and "\n## ✅" not in md_text
    html = render_html(data)
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_text_table_aligns_columns():
    out = text_table(["a", "bb"], [["ccc", "d"]])
    assert out.splitlines() == ["a    bb", "---  --", "ccc  d"]


def test_an_open_interval_side_is_drawn_and_printed_one_sided():
    """A side beyond the bootstrap's resamples (null) is printed [>= x] / [<= x] and drawn
    to the axis end without a cap, never as a closed 95% interval."""
    from bench.report.format import ci
    from bench.report.html import bars

    assert ci([0.7, None]) == "[≥ 0.700]" and ci([None, 0.6]) == "[≤ 0.600]"
    assert ci([0.25, 0.5]) == "[0.250, 0.500]" and ci([None, None]) == ""
    closed, open_ = bars([("a", 0.8, (0.7, 0.9))]), bars([("a", 0.8, (0.7, None))])
    assert open_.count("<line") == closed.count("<line") - 1  # one cap fewer


def test_the_report_says_folds_per_repeat_and_fits_apart():
    """``n_folds`` counts every fit of the view: 3 splits x 5 repeats are 15 fits, said as
    3 folds x 5 repeats, never "15 fold(s), 5 repeat(s)"."""
    from bench.report.markdown import _protocol

    cv = {"protocol": {"group_by": "group", "kind": "group_kfold", "n_folds": 15, "n_repeats": 5}}
    assert _protocol(cv) == "group_kfold, grouped by group: 3 folds x 5 repeats (15 fits)"
    logo = {"group_by": "target", "kind": "leave_one_group_out", "n_folds": 11, "n_repeats": 1}
    one = {"protocol": logo}
    assert _protocol(one) == "leave_one_group_out, grouped by target: 11 fold(s), 1 repeat(s)"
