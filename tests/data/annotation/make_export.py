"""Regenerate the golden Label Studio export of the fixture article from a real server.

    export STANCE_BENCH_LABEL_STUDIO=/path/to/venv/bin/label-studio
    python tests/data/annotation/make_export.py

Starts Label Studio on 127.0.0.1 (tests/labelstudio_server.py), creates a project from
``label_config()``, imports the article's tasks with tfidf_logreg's suggestions (trained on
seeds/), submits annotator2's items unit by unit as user 1 (after a skipped attempt on
the first unit, so the export holds a cancelled annotation), and writes the project's JSON
export to ``aldermoor-tram-extension.labelstudio.json``. tests/test_labelstudio.py reads
it; the slow test there repeats these steps and checks the live export against it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from labelstudio_server import executable, server  # noqa: E402

from bench.corpus import labelstudio  # noqa: E402

ARTICLE = HERE.parent / "articles" / "aldermoor-tram-extension.txt"
ANNOTATOR = HERE / "aldermoor-tram-extension.annotations.annotator2.jsonl"
EXPORT = HERE / "aldermoor-tram-extension.labelstudio.json"
MODEL = "tfidf_logreg"


def tasks_with_suggestions() -> list:
    from bench.corpus.articles import read_article
    from bench.corpus.segment import segment

    units = segment(read_article(ARTICLE))
    found, data_hash = labelstudio.suggest(units, MODEL, ROOT / "seeds", leave_out=ARTICLE.stem)
    version = f"{labelstudio.SUGGESTION}:{MODEL}@{data_hash[:12]}"
    return labelstudio.tasks(ARTICLE, found, version)


def round_trip(client, tasks: list, annotator_file: Path) -> list:
    """Project, tasks, one annotation per unit (a skip first on unit 0), the export."""
    from bench.corpus.annotations import read_annotations
    from bench.corpus.articles import read_article
    from bench.corpus.segment import segment

    text = read_article(ARTICLE)
    units = segment(text)
    items = read_annotations(annotator_file, text, units)
    project = client.create_project("stance-bench round trip", labelstudio.label_config())
    client.import_tasks(project, tasks)
    by_unit = {t["data"]["unit"]: t["id"] for t in client.tasks(project)}
    assert sorted(by_unit) == [u.index for u in units], by_unit
    for unit in units:
        mine = [i for i in items if i.unit.index == unit.index]
        if unit.index == 0:
            client.annotate(by_unit[0], [], cancelled=True)
        client.annotate(by_unit[unit.index], labelstudio.results(unit, mine))
    return client.export(project)


def main() -> int:
    exe = executable()
    if exe is None:
        print("label-studio not found: set STANCE_BENCH_LABEL_STUDIO", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), exe) as client:
        export = round_trip(client, tasks_with_suggestions(), ANNOTATOR)
    EXPORT.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {EXPORT} ({len(export)} tasks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
