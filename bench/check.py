"""The reproducibility gate: re-run configs and compare with committed reference results.

``results/reference/<config>/`` holds the ``metrics.json``, ``predictions.jsonl`` and
``config.toml`` of every config, and ``environment.json`` the package versions that made
them. A check passes when every result is reproduced byte for byte; otherwise it fails and
the comparison says what changed and whether the change is significant. With ``base``
(a git revision), the fresh results are also compared with the reference of that
revision, and a significant regression against it fails the check even when the change
updated its own reference. ``update`` merges the fresh results into the reference.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.backends import Backend
from bench.compare import DEFAULT_GATE, Comparison, Gate, compare
from bench.config import Config, load_configs
from bench.config.load import load_runs
from bench.errors import BenchError, RunError
from bench.io import (
    check_can_write,
    check_links,
    check_replaceable,
    dumps_json,
    refuse_link,
    replace_dir_atomic,
    staging_dir,
    temp_dir,
    write_text_atomic,
    writing_into,
)
from bench.provenance import NUMERIC_PACKAGES, versions
from bench.runs import (
    COMPARED_FILES,
    ENVIRONMENT,
    REFERENCE_FILES,
    check_out,
    is_run_dir,
    load_run,
    locked,
)
from bench.specs import DEFAULT_REFERENCE, LEADERBOARD_MD


@dataclass(frozen=True)
class RunOptions:
    """How the configs of a check are run (as ``stance-bench run`` would)."""

    n_jobs: int = 1
    threads: int | None = None
    backend: Backend = Backend()
    progress: bool = True


@dataclass(frozen=True)
class Against:
    """Fresh results against one reference: what was reproduced, what changed."""

    label: str  # "the reference" or "base origin/main"
    reproduced: list[str]
    changed: list[str]
    added: list[str]  # configs with no entry in that reference
    removed: list[str]  # entries of that reference whose config is gone
    comparison: Comparison | None
    environment: list[str]  # packages whose versions differ from the reference's
    notes: list[str] = field(default_factory=list)  # what else differs (line ends, files)


@dataclass(frozen=True)
class CheckResult:
    own: Against
    base: Against | None = None
    updated: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        if self.updated:
            return False
        own_failed = bool(self.own.changed or self.own.added)
        base_failed = (
            self.base is not None
            and self.base.comparison is not None
            and self.base.comparison.failed
        )
        return own_failed or base_failed


# ------------------------------------------------------------------------------ helpers
def _same(a: Path, b: Path) -> bool:
    return all(
        (a / f).is_file() and (a / f).read_bytes() == (b / f).read_bytes() for f in COMPARED_FILES
    )


def _known_names(targets: list[Path], configs: list[Config]) -> set[str]:
    """Names of every config in the folders of ``targets``: a reference entry whose name
    is not here belongs to a config that was really deleted (not just not checked). The
    configs already loaded count; only the other files beside a named file are read."""
    names = {cfg.name for cfg in configs}
    loaded = {cfg.path for cfg in configs}
    for folder in {Path(t).parent for t in targets if not Path(t).is_dir()}:
        for path in sorted(folder.glob("*.toml")):
            if path.name.startswith("_") or path.resolve() in loaded:
                continue
            try:
                names |= {cfg.name for cfg in load_runs(path)}
            except BenchError:
                names.add(path.stem)
    return names


def _entries(reference: Path) -> list[str]:
    if not reference.is_dir():
        return []
    return sorted(d.name for d in reference.iterdir() if is_run_dir(d))


def _environment_diff(reference: Path) -> tuple[list[str], list[str]]:
    """The packages whose versions differ from those that made ``reference``, and notes
    (environment.json missing)."""
    path = reference / ENVIRONMENT
    if not path.is_file():
        return [], [
            f"{path} is missing: the package versions that made the reference are unknown "
            "(`stance-bench check --update` writes it)"
        ]
    try:
        ref = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return [f"{path} is not valid JSON"], []
    if not isinstance(ref, dict):
        raise RunError(
            f"{path}: must be a JSON object of package versions, got "
            f"{type(ref).__name__}; restore it, or rewrite it with `stance-bench check --update`"
        )
    here = versions()
    return [
        f"{pkg} {here.get(pkg)} here, {ref.get(pkg)} in the reference"
        for pkg in ("python", *NUMERIC_PACKAGES)
        if pkg in ref and ref.get(pkg) != here.get(pkg)
    ], []


def _line_ends(ref: Path, fresh: Path) -> list[str]:
    """Files of a reference entry that differ from the fresh run's only in their line ends
    (a checkout that converted them): the comparison then finds no change in any number."""
    out = []
    for name in COMPARED_FILES:
        a, b = ref / name, fresh / name
        if not (a.is_file() and b.is_file()):
            continue
        old, new = a.read_bytes(), b.read_bytes()
        if old != new and old.replace(b"\r\n", b"\n") == new.replace(b"\r\n", b"\n"):
            out.append(
                f"{a} differs only in its line ends (CRLF where the run writes LF): a "
                "checkout converted them; mark the reference as binary in .gitattributes "
                "(`results/reference/** -text`) and check it out again"
            )
    return out


def _against(
    label: str,
    reference: Path,
    fresh: Path,
    names: list[str],
    known: set[str],
    tmp: Path,
    gate: Gate,
) -> Against:
    reproduced, changed, added = [], [], []
    environment, notes = _environment_diff(reference)
    for name in names:
        ref = reference / name
        if not (ref / "metrics.json").is_file():
            added.append(name)
        elif _same(ref, fresh / name):
            reproduced.append(name)
        else:
            changed.append(name)
            notes += _line_ends(ref, fresh / name)
    removed = [n for n in _entries(reference) if n not in names and n not in known]
    comparison = None
    if changed:  # reproduced runs are identical by definition: only changes are tested
        slug = label.replace(" ", "_").replace("/", "_")
        base, cand = tmp / f"{slug}-reference", tmp / f"{slug}-fresh"
        for name in changed:
            load_run(reference / name)  # a corrupt reference names its real path
            shutil.copytree(reference / name, base / name)
            shutil.copytree(fresh / name, cand / name)
        # a reference and its re-run may be on changed data: compared unpaired then
        comparison = compare(base, cand, replace(gate, unpaired=True))
    return Against(label, reproduced, changed, added, removed, comparison, environment, notes)


def reference_at(revision: str, repo: Path, dest: Path, path: str = DEFAULT_REFERENCE) -> Path:
    """The reference folder as committed at ``revision``, extracted into ``dest`` with
    ``git archive`` (the work tree is not touched)."""

    def git(*args: str) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                ["git", *args], cwd=repo, capture_output=True, check=False, timeout=120
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise RunError(f"--base {revision}: cannot run git ({exc})") from None

    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise RunError(f"--base {revision}: {repo} is not in a git repository")
    root = Path(top.stdout.decode().strip())
    rel = (repo.resolve() / path).relative_to(root) if not Path(path).is_absolute() else None
    if git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").returncode != 0:
        raise RunError(
            f"--base {revision}: no such git revision; fetch it first "
            "(e.g. git fetch origin main) or name another"
        )
    target = rel.as_posix() if rel is not None else path
    archive = git("-C", str(root), "archive", "--format=tar", revision, target)
    if archive.returncode != 0:
        raise RunError(f"--base {revision}: the revision has no {target}/ (no reference there)")
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        try:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12: refuse unsafe members
                tar.extractall(dest, filter="data")
            else:  # our own git archive of one folder; members checked by hand
                for member in tar.getmembers():
                    if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                        raise RunError(f"--base {revision}: unsafe path in the archive")
                    if member.issym() and Path(member.linkname).is_absolute():
                        raise _link_out(revision, member.name)
                tar.extractall(dest)
        except tarfile.TarError as exc:  # the data filter refused a member (a link out)
            name = getattr(exc, "tarinfo", None)
            raise _link_out(revision, name.name if name is not None else str(exc)) from None
    extracted = dest / target
    try:
        check_links(extracted)
    except RunError as exc:
        shown = str(exc).replace(f"{dest}/", f"{revision}:")  # git's name, not the temp path
        raise RunError(f"--base {revision}: {shown}") from None
    return extracted


def _link_out(revision: str, member: str) -> RunError:
    """The one error for a reference at ``revision`` that holds a link leaving it, whether
    tarfile's data filter (Python >= 3.11.4) or the check by hand found it."""
    return RunError(
        f"--base {revision}: the reference at {revision} holds a symbolic link that "
        f"leaves it ({member}); nothing is read through links: commit the files themselves"
    )


README_BLOCK = (
    "<!-- stance-bench:reference-leaderboard -->",
    "<!-- /stance-bench:reference-leaderboard -->",
)


def readme_with_leaderboard(readme: str, board: str) -> str | None:
    """``readme`` with the text between its ``README_BLOCK`` markers replaced by
    ``board`` (set apart by blank lines, so that Markdown renders it as a table), or None
    when it lacks them (the opening marker before the closing one)."""
    opening, closing = README_BLOCK
    start = readme.find(opening)
    end = readme.find(closing, start + len(opening)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return f"{readme[: start + len(opening)]}\n\n{board}\n{readme[end:]}"


def _project_readme(reference: Path) -> Path | None:
    """The README.md of the project whose reference this is: the folder that holds
    ``results/reference/`` (``DEFAULT_REFERENCE``); a reference elsewhere has none."""
    parts = Path(DEFAULT_REFERENCE).parts
    resolved = reference.resolve()
    if resolved.parts[-len(parts) :] != parts:
        return None
    return resolved.parents[len(parts) - 1] / "README.md"


def _update(reference: Path, fresh: Path, names: list[str], known: set[str]) -> list[str]:
    """Merge the fresh results of ``names`` into ``reference`` (entries of other configs
    are kept; entries of deleted configs go), atomically: a failure leaves it untouched.
    The reference's folder is locked like a runs folder for the whole merge, so two
    updates at once both land (the second merges into the first's result). The project's
    README.md gets the new leaderboard, compact (``render_markdown``), between its
    ``README_BLOCK`` markers."""
    from bench.boards import boards
    from bench.report.leaderboard import render_markdown

    readme = _project_readme(reference)
    fix = "free space, or check the folder's permissions"
    with writing_into(reference, fix=fix), locked(reference.parent):
        for stale in reference.parent.glob(f".{reference.name}.*.partial"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed update
        stage = staging_dir(reference)
        try:
            for name in _entries(reference):
                if name not in names and name in known:
                    shutil.copytree(reference / name, stage / name, symlinks=True)
            for name in names:
                (stage / name).mkdir()
                for f in REFERENCE_FILES:
                    shutil.copy2(fresh / name / f, stage / name / f)
            here = versions()
            env = {k: here.get(k) for k in ("python", *NUMERIC_PACKAGES)}
            write_text_atomic(stage / ENVIRONMENT, dumps_json(env))
            runs = [load_run(stage / n) for n in _entries(stage)]
            tables = boards(runs, alpha=0.05)
            write_text_atomic(stage / LEADERBOARD_MD, render_markdown(tables))
            board = render_markdown(tables, compact=True)  # the README's sample
            replace_dir_atomic(stage, reference)
        except RunError as exc:  # name the reference, not its staging folder
            shutil.rmtree(stage, ignore_errors=True)
            raise RunError(str(exc).replace(str(stage), str(reference))) from None
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
    if readme is not None and readme.is_file():
        text = readme.read_text(encoding="utf-8")
        refreshed = readme_with_leaderboard(text, board)
        if refreshed is not None and refreshed != text:
            with writing_into(readme, fix="check the file's permissions"):
                write_text_atomic(readme, refreshed)
    return names


def check(
    targets: list[Path],
    reference: Path,
    *,
    update: bool = False,
    base: str | None = None,
    out: Path | None = None,
    options: RunOptions | None = None,
    gate: Gate = DEFAULT_GATE,
) -> CheckResult:
    """Re-run ``targets`` (into ``out`` when given, else a temp folder) and compare."""
    from bench.execute import run_configs

    options = options or RunOptions()

    reference = Path(reference)
    if not update and not reference.is_dir():
        raise RunError(
            f"{reference}: no reference folder; create it with `stance-bench check --update`"
        )
    if reference.exists() and not reference.is_dir():
        raise RunError(f"{reference}: is a file, not a reference folder")
    if update:  # before any work: the update can be written
        refuse_link(reference, "give the real folder as --reference")
        with writing_into(reference, fix="free space, or check the folder's permissions"):
            check_can_write(reference.parent)
            check_replaceable(reference)
    check_links(reference)
    configs: list[Config] = load_configs(targets)
    if out is not None:
        check_out(out, configs, reference)
    known = _known_names(targets, configs)
    tmp_shown = f"the temp folder (TMPDIR={tempfile.gettempdir()})"
    tmp_fix = "free space there, or set TMPDIR to a folder with room"
    with writing_into(Path(tempfile.gettempdir()), shown=tmp_shown, fix=tmp_fix):
        tmp = temp_dir("check")
    try:
        with writing_into(tmp, shown=tmp_shown, fix=tmp_fix, within=True):
            base_ref = None
            if base is not None:
                base_ref = reference_at(base, Path.cwd(), tmp / "base")
            fresh = Path(out) if out is not None else tmp / "runs"
            results = run_configs(
                configs,
                fresh,
                n_jobs=options.n_jobs,
                threads=options.threads,
                force=True,
                progress=options.progress,
                backend=options.backend,
                reference=reference,
            )
            names = [r.config.name for r in results]
            if update:
                updated = _update(reference, fresh, names, known)
                empty = Against("the reference", names, [], [], [], None, [])
                return CheckResult(empty, None, updated)
            own = _against("the reference", reference, fresh, names, known, tmp, gate)
            against_base = None
            if base_ref is not None:
                against_base = _against(f"base {base}", base_ref, fresh, names, known, tmp, gate)
            return CheckResult(own, against_base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
