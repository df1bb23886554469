"""The files of one article in a seeds folder, and reading its text.

``NAME.txt`` is the article; ``NAME.annotations.jsonl`` its adjudicated gold, the only
annotation file ``derive`` reads; ``NAME.annotations.ANNOTATOR.jsonl`` one annotator's
own annotation of it (same format, same validation), the raters that ``stance-bench
agreement`` compares. The gold is not one of the raters.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.corpus.annotations import ANNOTATION_SUFFIX
from bench.errors import DataError, shown

ARTICLE_SUFFIX = ".txt"
ANNOTATOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # no dot: it ends the file name


def read_article(path: Path) -> str:
    """An article's text; a UTF-8 BOM is dropped (offsets count from after it)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 (invalid byte at offset {exc.start}); re-save the article as UTF-8"
        ) from None
    if not text.strip():
        raise DataError(f"{path}: the article is empty; add its text or remove the file")
    return text


def check_annotator(name: str, where: str = "--annotator") -> str:
    """An annotator's name as it goes into a file name: letters, digits, '-' and '_'."""
    if not ANNOTATOR.fullmatch(name or ""):
        raise DataError(
            f"{where}: annotator name {shown(name)} is not usable in a file name; use letters, "
            "digits, '-' and '_' (at most 64, no dot), e.g. 'annotator2'"
        )
    return name


def gold_path(article: Path) -> Path:
    """``NAME.annotations.jsonl`` beside ``NAME.txt``."""
    article = Path(article)
    return article.with_name(article.stem + ANNOTATION_SUFFIX)


def rater_path(article: Path, annotator: str) -> Path:
    """``NAME.annotations.ANNOTATOR.jsonl`` beside ``NAME.txt``."""
    article = Path(article)
    return article.with_name(f"{article.stem}.annotations.{check_annotator(annotator)}.jsonl")


def rated_articles(seeds: Path) -> dict[Path, dict[str, Path]]:
    """Every article of ``seeds`` that has annotators' files, with them; a rater file
    whose article is missing is an error."""
    seeds = Path(seeds)
    if not seeds.is_dir():
        raise DataError(f"{seeds}: seeds folder not found; pass the folder of the articles")
    out: dict[Path, dict[str, Path]] = {}
    for path in sorted(seeds.glob("*.annotations.*.jsonl")):
        stem, _, name = path.name[: -len(".jsonl")].rpartition(".annotations.")
        if not ANNOTATOR.fullmatch(name):
            continue
        article = seeds / (stem + ARTICLE_SUFFIX)
        if not article.is_file():
            raise DataError(
                f"{path}: annotator file has no article; add {article.name} or remove it"
            )
        out.setdefault(article, {})[name] = path
    return out
