"""The gate on issue 24's scenarios, end to end, in a throw-away copy of this repository.

    python perf/gate_scenarios.py [--scenario majority,lexicon,weaken] [--max-drop 0.10]

For each scenario: the committed tree (``git archive HEAD``) goes into a temp folder as a
new repository (commit "base"); the change is committed there with its own reference
updated (``stance-bench check --update`` on the configs it touches, as a pull request
would), then ``stance-bench check --base HEAD~1 --max-drop X`` runs as the shipped
workflow runs it. Prints each scenario's exit code and comparison. The copy's own code
runs (``python -m bench`` with the copy first on ``PYTHONPATH``), so a scenario that edits
the package (the cue lexicon) is seen.

- ``majority``: configs/cue_lexicon.toml's model replaced by ``majority`` (the sample PR
  comment of docs/ci.md);
- ``lexicon``: the cue lexicon's support and skeptical lists emptied
  (bench/data/cues.toml), the six configs that read it re-run (the issue's 18 rows);
- ``weaken``: cue_logreg without its cue features (``cue_weight = 0.0`` in
  configs/cue_logreg.toml): cv macro-F1 0.637 -> 0.310, as a new user weakening a model
  might.

Minutes of CPU per scenario (the configs run twice); tests/test_check.py replays the
``lexicon`` scenario on the cue_lexicon config alone.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEXICON = "bench/data/cues.toml"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=sim", "-c", "user.email=sim@localhost", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _bench(repo: Path, *args: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(repo), "GITHUB_STEP_SUMMARY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=repo, env=env, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr


def _emptied(text: str, *labels: str) -> str:
    """The lexicon with the cue lists of ``labels`` emptied (parsed, written back)."""
    import json

    doc = tomllib.loads(text)
    for label in labels:
        doc["cues"][label] = []
    lines = [f"default = {json.dumps(doc['default'])}", "[cues]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in doc["cues"].items()]
    neg = doc["negation"]
    lines += ["[negation]", f"words = {json.dumps(neg['words'])}", f"window = {neg['window']}"]
    lines += ["[negation.flip]"] + [f"{k} = {json.dumps(v)}" for k, v in neg["flip"].items()]
    return "\n".join(lines) + "\n"


def _model_of(path: Path) -> str:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("model", {}).get("name", "")


def _change(repo: Path, scenario: str) -> list[str]:
    """Apply the scenario's change; the configs it touches (relative paths)."""
    configs = repo / "configs"
    if scenario == "majority":
        path = configs / "cue_lexicon.toml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace('name = "cue_lexicon"', 'name = "majority"'), encoding="utf-8")
        return ["configs/cue_lexicon.toml"]
    if scenario == "lexicon":
        lex = repo / LEXICON
        lex.write_text(_emptied(lex.read_text(encoding="utf-8"), "support", "skeptical"))
        users = [
            p
            for p in sorted(configs.glob("*.toml"))
            if not p.name.startswith("_") and _model_of(p) in ("cue_lexicon", "cue_logreg")
        ]
        return [f"configs/{p.name}" for p in users]
    if scenario == "weaken":
        path = configs / "cue_logreg.toml"
        path.write_text(path.read_text(encoding="utf-8") + "cue_weight = 0.0\n", encoding="utf-8")
        return ["configs/cue_logreg.toml"]
    raise SystemExit(f"unknown scenario {scenario!r}")


def scenario(name: str, max_drop: float, tmp: Path) -> str:
    repo = tmp / name
    repo.mkdir()
    tree = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(repo, filter="data")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    targets = _change(repo, name)
    rc, out = _bench(repo, "check", *targets, "--update", "--quiet")
    if rc != 0:
        return f"## {name}: check --update exited {rc}\n\n{out}"
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"{name}, reference updated")
    flags = ["--quiet", "--max-drop", str(max_drop), "--format", "markdown"]
    rc, out = _bench(repo, "check", *targets, "--base", "HEAD~1", *flags)
    cmd = f"stance-bench check {' '.join(targets)} --base HEAD~1 {' '.join(flags)}"
    return f"## {name}: `{cmd}` exited {rc}\n\n````markdown\n{out.rstrip()}\n````\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="majority,lexicon,weaken")
    ap.add_argument("--max-drop", type=float, default=0.10, help="as the workflow (0.10)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gate-scenarios-") as tmp:
        for name in args.scenario.split(","):
            print(scenario(name, args.max_drop, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
