"""``stance-bench init``: the files of a new project that runs the benchmark in its own
repository (configs on the packaged defaults, an example plug-in model, a CI workflow
that calls this repository's GitHub Action). The CLI then makes ``results/reference/``
with a first ``check --update``. Nothing that exists is overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.errors import ConfigError
from bench.project import MARKERS

# The action a new project's workflow calls: this repository at its v1 tag.
ACTION = "stance-bench/stance-bench@v1"
PLUGIN = "my_model"  # the example plug-in's module (configs/my_model.py)

_PYPROJECT = """\
# A stance-bench project (made by `stance-bench init`). This file marks the project root:
# resolved configs (runs/*/config.toml, results/reference/*/config.toml) write their paths
# relative to this folder, so they are the same wherever the project is checked out.
[tool.stance-bench]
"""

_GITIGNORE = ("runs/", "data/derived/")

_DEFAULTS = """\
# Shared settings of this project's configs: the package's defaults (seed, task, protocol,
# metrics, views) on the packaged seed dataset. Files whose name starts with "_" are
# bases, not experiments. Override any key here, e.g.:
#
#   [protocol]
#   n_repeats = 10
#
#   [dataset]             # your own data instead of the seed article
#   source = "file"
#   path = "../data/my_items.csv"
#   columns = { text = "sentence", target = "target", label = "label" }
extends = "stance-bench:defaults"
"""

_MAJORITY = """\
extends = "_defaults.toml"
description = "Always the most frequent training label: the floor every model must beat."

[model]
name = "majority"
"""

_TFIDF = """\
extends = "_defaults.toml"
description = "TF-IDF word 1-2-grams + char 2-5-grams, linear SVM (a packaged baseline)."

[model]
name = "tfidf_svm"
C = 1.0
"""

_PLUGIN_CONFIG = f"""\
extends = "_defaults.toml"
description = "The example plug-in (configs/{PLUGIN}.py): TF-IDF words + target, logreg."

[model]
name = "{PLUGIN}:build"   # module:factory, imported from this folder
C = 2.0                     # the factory's keyword arguments are the model's keys
"""

_PLUGIN = '''\
"""An example plug-in model. A config names it with ``name = "my_model:build"``; the
module is imported from the config's folder (edits are picked up on the next run).

A model is a scikit-learn estimator: ``fit(X, y)`` and ``predict(X)`` on a DataFrame with
the columns ``text`` and ``target`` (and ``group``), predicting label strings. The
factory's keyword arguments are the config's ``[model]`` keys (their defaults give their
types); a factory that takes ``random_state`` gets one derived from the seed and the fold.
"""

from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder


def build(*, C: float = 1.0, random_state: int | None = None):
    """TF-IDF word 1-2-grams of the sentence and the target one-hot, logistic regression."""
    features = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), "text"),
            ("target", OneHotEncoder(handle_unknown="ignore"), ["target"]),
        ]
    )
    classifier = LogisticRegression(
        C=C, max_iter=2000, class_weight="balanced", random_state=random_state
    )
    return make_pipeline(features, classifier)
'''

_WORKFLOW = """\
# On every pull request: re-runs the configs and compares them with the reference of the
# base branch (stance-bench check --base). The comparison goes to the job summary and to one
# pull-request comment, updated on every push; the job fails when a model got significantly
# worse or a result is not reproduced (after an intended change, commit the output of
# `stance-bench check --update`). On a push to main: checks the committed reference.
name: stance-bench

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  benchmark:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: read
      pull-requests: write # the comparison comment
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0 # the base revision, for --base
      - uses: {action}
        with:
          configs: configs
"""

_README = f"""\
# A stance-bench project

Models compared on the stance-bench fact-and-stance benchmark, with paired significance
tests, here and in CI.

```sh
pip install stance-bench    # or the path or git URL of its repository
stance-bench run            # every config in configs/; run folders in runs/
stance-bench check          # re-run and compare with results/reference/ (exit 1: not reproduced)
stance-bench check --update # after an intended change: rewrite results/reference/, commit it
stance-bench check --base origin/main   # and compare with another revision's reference
```

- `configs/_defaults.toml` extends the packaged defaults (`stance-bench:defaults`: the
  seed dataset, 3-fold cross-validation repeated 5 times, the cross-target and contrast
  views); every other `configs/*.toml` is one experiment.
- `configs/{PLUGIN}.py` is an example plug-in model (`name = "{PLUGIN}:build"` in
  `configs/{PLUGIN}.toml`): copy it to add your own.
- `.github/workflows/stance-bench.yml` runs the check on every pull request and keeps one
  comment with the comparison up to date.
- Resolved configs (`runs/*/config.toml`, `results/reference/*/config.toml`) hold paths
  relative to this folder (marked by `pyproject.toml`): `stance-bench run
  results/reference/majority/config.toml` re-runs one.
"""


@dataclass(frozen=True)
class Planned:
    """The files ``init`` writes (path relative to the project -> text), and the lines it
    appends to an existing ``.gitignore``."""

    files: dict[str, str]
    gitignore_lines: tuple[str, ...]


def plan(folder: Path, action: str = ACTION) -> Planned:
    """What ``init`` would write in ``folder``; an error when a file it owns exists."""
    folder = Path(folder)
    files = {
        "configs/_defaults.toml": _DEFAULTS,
        "configs/majority.toml": _MAJORITY,
        "configs/tfidf_svm.toml": _TFIDF,
        f"configs/{PLUGIN}.toml": _PLUGIN_CONFIG,
        f"configs/{PLUGIN}.py": _PLUGIN,
        ".github/workflows/stance-bench.yml": _WORKFLOW.format(action=action),
    }
    taken = [name for name in files if (folder / name).exists()]
    if (folder / "results" / "reference").exists():
        taken.append("results/reference/")
    if taken:
        raise ConfigError(
            f"{folder}: already has {', '.join(taken)}; init writes a new project: name an "
            "empty or new folder, or move those away"
        )
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: is a file; name a folder for the new project")
    if not any((folder / m).exists() for m in MARKERS):
        files["pyproject.toml"] = _PYPROJECT
    if not (folder / "README.md").exists():
        files["README.md"] = _README
    ignore = folder / ".gitignore"
    lines: tuple[str, ...] = ()
    if ignore.exists():
        present = set(ignore.read_text(encoding="utf-8").split("\n"))
        lines = tuple(line for line in _GITIGNORE if line not in present)
    else:
        files[".gitignore"] = "".join(f"{line}\n" for line in _GITIGNORE)
    return Planned(files, lines)


def write(folder: Path, planned: Planned) -> list[Path]:
    """Write the planned files (each atomically), append to ``.gitignore``; the paths."""
    from bench.io import write_text_atomic

    folder = Path(folder)
    written = []
    for name, text in planned.files.items():
        write_text_atomic(folder / name, text)
        written.append(folder / name)
    if planned.gitignore_lines:
        ignore = folder / ".gitignore"
        old = ignore.read_text(encoding="utf-8")
        sep = "" if not old or old.endswith("\n") else "\n"
        write_text_atomic(ignore, old + sep + "".join(f"{x}\n" for x in planned.gitignore_lines))
        written.append(ignore)
    return written
