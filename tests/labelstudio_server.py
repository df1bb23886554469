"""A real Label Studio server on 127.0.0.1 for the slow round-trip test, and the few HTTP
API calls it needs (urllib, bounded timeouts). The executable comes from
``STANCE_BENCH_LABEL_STUDIO`` or PATH; Label Studio is a separate install (a ~1 GB Django
app, Apache-2.0), never a dependency of the project. Every file it writes goes to a temp
folder (``LABEL_STUDIO_BASE_DATA_DIR``); it is told not to look for a newer version nor
send analytics, so it needs no network beyond loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

TOKEN = "0123456789abcdef0123456789abcdef01234567"  # a throw-away server's legacy token
START_TIMEOUT = 240  # seconds to the first /health answer (about 30 s on a fresh database)
REQUEST_TIMEOUT = 60


def executable() -> str | None:
    """The label-studio executable, or None when it is not installed."""
    given = os.environ.get("STANCE_BENCH_LABEL_STUDIO")
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("label-studio")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body=None, timeout: float = REQUEST_TIMEOUT):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            raise AssertionError(f"{method} {path}: HTTP {exc.code}: {detail}") from None
        return json.loads(raw) if raw else None

    def create_project(self, title: str, config: str) -> int:
        return self.call("POST", "/api/projects", {"title": title, "label_config": config})["id"]

    def import_tasks(self, project: int, tasks: list) -> None:
        self.call("POST", f"/api/projects/{project}/import", tasks)

    def tasks(self, project: int) -> list[dict]:
        out = self.call("GET", f"/api/tasks?project={project}&page_size=1000")
        return out["tasks"] if isinstance(out, dict) else out

    def annotate(self, task: int, result: list, *, cancelled: bool = False) -> None:
        body = {"result": result, "was_cancelled": cancelled, "lead_time": 1.5}
        self.call("POST", f"/api/tasks/{task}/annotations", body)

    def export(self, project: int) -> list:
        return self.call("GET", f"/api/projects/{project}/export?exportType=JSON")


@contextmanager
def server(workdir: Path, exe: str):
    """A fresh server (its own SQLite database under ``workdir``); stopped on exit."""
    port = _free_port()
    data = workdir / "label-studio-data"
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_USERNAME": "annotator@example.com",
        "LABEL_STUDIO_PASSWORD": "throw-away-Passw0rd",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",  # must be set when the org is made
        "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",  # else it asks the package index
        "COLLECT_ANALYTICS": "false",
        "HOME": str(workdir),  # nothing lands in the real home folder
    }
    log = (workdir / "label-studio.log").open("wb")
    proc = subprocess.Popen(
        [exe, "start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise AssertionError(
                    f"label-studio exited with {proc.returncode}: "
                    + (workdir / "label-studio.log").read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"label-studio did not answer /health in {START_TIMEOUT} s")
            time.sleep(0.5)
        yield Client(base)
    finally:  # the server and any child it started: its own process group
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
