"""openai_chat against a real HTTP server on 127.0.0.1 started by each test
(``tests/chat_server.py``): requests are counted, so every test bounds what it sends."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cli import main
from bench.models.chat import parse_label, placeholders
from tests.chat_server import ChatServer, by_cue, item_of, running

LABELS = ("support", "condemn", "skeptical", "fact")
ROWS = [
    ("a1", "The mayor said she would support the new park.", "park", "support"),
    ("a2", "Residents support the plan for the park.", "park", "support"),
    ("a3", "The council voted to support the library levy.", "levy", "support"),
    ("b1", "Critics condemn the closure of the clinic.", "clinic", "condemn"),
    ("b2", "Unions condemn the levy as unfair.", "levy", "condemn"),
    ("b3", "Neighbours condemn the new park fence.", "park", "condemn"),
    ("c1", "Experts doubt the clinic can reopen soon.", "clinic", "skeptical"),
    ("c2", "Some doubt the levy will pass.", "levy", "skeptical"),
    ("c3", "It is unclear whether the park will open.", "park", "skeptical"),
    ("d1", "The clinic opened in 1998.", "clinic", "fact"),
    ("d2", "The levy raises two million a year.", "levy", "fact"),
    ("d3", "The park covers four hectares.", "park", "fact"),
]
N = len(ROWS)


def write_data(folder: Path) -> Path:
    lines = ["id,text,target,label"] + [f'{i},"{t}",{g},{lab}' for i, t, g, lab in ROWS]
    path = folder / "items.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(folder: Path, name: str = "chat", **model) -> Path:
    write_data(folder)
    params = {"name": "openai_chat", "retries": 0, "concurrency": 2, **model}
    table = "\n".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
    path = folder / f"{name}.toml"
    path.write_text(
        'seed = 3\n[dataset]\npath = "items.csv"\n[protocol]\nn_splits = 2\nn_repeats = 2\n'
        f"[metrics]\nbootstrap = 100\n[views]\ncross_target = true\n[model]\n{table}\n",
        encoding="utf-8",
    )
    return path


def run(*args) -> int:
    return main(["run", "-q", "--n-jobs", "1", *map(str, args)])


def metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


def responses(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "responses.jsonl").read_text().splitlines()]


# ------------------------------------------------------------------------------ parsing
def test_the_first_allowed_label_in_the_answer_is_the_label():
    assert parse_label("Label: condemn.", LABELS, "first_label", "label") == "condemn"
    assert parse_label("SUPPORT, not condemn", LABELS, "first_label", "label") == "support"
    assert parse_label("a supportive tone", LABELS, "first_label", "label") is None  # a word
    assert parse_label("I cannot tell", LABELS, "first_label", "label") is None
    assert parse_label("", LABELS, "first_label", "label") is None
    fact = ("stance", "fact")
    assert parse_label("It states a fact.", fact, "first_label", "label") == "fact"


def test_a_json_answer_gives_its_field():
    rule = "json"
    assert parse_label('{"label": "Fact"}', LABELS, rule, "label") == "fact"
    assert parse_label('```json\n{"label": "skeptical"}\n```', LABELS, rule, "label") == "skeptical"
    assert parse_label('Sure: {"stance": "support"} done', LABELS, rule, "stance") == "support"
    assert parse_label('{"label": "neutral"}', LABELS, rule, "label") is None  # not a label
    assert parse_label('{"other": "fact"}', LABELS, rule, "label") is None
    assert parse_label("condemn", LABELS, rule, "label") is None  # not JSON: no fallback


def test_the_default_prompt_has_the_item_and_room_for_examples():
    from bench.models.chat import PROMPT

    assert set(placeholders(PROMPT.read_text())) == {"text", "target", "labels", "examples"}


# ------------------------------------------------------------------------------ runs
def test_a_zero_shot_run_asks_once_per_item_and_counts_parse_failures(tmp_path):
    with running(ChatServer()) as server:
        cfg = write_config(tmp_path, base_url=server.base_url, model="m1")
        assert run(cfg, "--out", tmp_path / "runs") == 0
        assert len(server.requests) == N  # each item once: cv and cross_target coincide
    out = tmp_path / "runs" / "chat"
    m = metrics(out)
    assert m["trained"] is False and m["views"]["cross_target"]["same_as"] == "cv"
    assert m["protocol"]["kind"] == "zero_shot" and m["n_predictions"] == N
    a = m["answers"]
    assert a["asked"] == N and a["answered"] == N - 1 and a["by_reason"]["parse_failure"] == 1
    assert a["abstained_by_gold"] == [0, 0, 1, 0] and a["policy"] == "wrong"
    assert m["no_answer"] == [0, 0, 1, 0]  # the unclear skeptical item: a miss
    # every other item is right: skeptical recall 2/3, nobody's false positive
    assert m["per_class"]["skeptical"]["recall"] == pytest.approx(2 / 3)
    assert m["per_class"]["skeptical"]["precision"] == 1.0
    assert m["pooled"]["accuracy"] == pytest.approx((N - 1) / N)
    logged = responses(out)
    assert len(logged) == N
    failed = [r for r in logged if r.get("no_answer") == "parse_failure"]
    assert [r["id"] for r in failed] == ["c3"] and failed[0]["raw"] == "I cannot tell."
    assert all(len(r["prompt_sha256"]) == 64 and r["cached"] is False for r in logged)
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == N and {p["view"] for p in preds} == {"cv"}  # no copies
    c3 = next(p for p in preds if p["id"] == "c3")
    assert c3["predicted"] is None and c3["no_answer"] == "parse_failure"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["requests"]["sent"] == N and manifest["requests"]["cached"] == 0
    report = (out / "report.md").read_text()
    assert "zero-shot" in report and "the same items and predictions as view cv" in report
    assert "(no answer)" in report and "1 parse failure" in report


def test_cached_answers_send_nothing_and_another_model_name_misses(tmp_path):
    with running(ChatServer()) as server:
        cfg = write_config(tmp_path, base_url=server.base_url, model="m1")
        assert run(cfg, "--out", tmp_path / "runs") == 0
        first = (tmp_path / "runs" / "chat" / "metrics.json").read_bytes()
        assert run(cfg, "--out", tmp_path / "runs") == 0  # a finished run: reused
        assert run(cfg, "--out", tmp_path / "runs", "--force") == 0  # re-run: all cached
        assert len(server.requests) == N
        assert (tmp_path / "runs" / "chat" / "metrics.json").read_bytes() == first
        manifest = json.loads((tmp_path / "runs" / "chat" / "manifest.json").read_text())
        assert manifest["requests"]["sent"] == 0 and manifest["requests"]["cached"] == N
        assert all(r["cached"] for r in responses(tmp_path / "runs" / "chat"))
        other = write_config(tmp_path, name="other", base_url=server.base_url, model="m2")
        assert run(other, "--out", tmp_path / "runs") == 0
        assert len(server.requests) == 2 * N  # a model name of its own: no hit
        assert {r["body"]["model"] for r in server.requests[N:]} == {"m2"}
        hotter = write_config(
            tmp_path, name="hot", base_url=server.base_url, model="m1", temperature=0.7
        )
        assert run(hotter, "--out", tmp_path / "runs") == 0
        assert run(hotter, "--out", tmp_path / "runs", "--force") == 0
        assert len(server.requests) == 4 * N  # not deterministic: never cached
    assert (tmp_path / "runs" / "responses.sqlite").is_file()


def test_few_shot_examples_come_from_the_folds_training_items(tmp_path):
    from bench.io import sha256_bytes

    with running(ChatServer()) as server:
        cfg = write_config(tmp_path, base_url=server.base_url, model="m1", few_shot=4)
        assert run(cfg, "--out", tmp_path / "runs") == 0
        endpoint = server.base_url + "/chat/completions"
        sent = {
            sha256_bytes(
                endpoint.encode(), json.dumps(r["body"], sort_keys=True).encode("utf-8")
            ): r["body"]["messages"][0]["content"]
            for r in server.requests
        }
    out = tmp_path / "runs" / "chat"
    m = metrics(out)
    assert m["trained"] is True and "same_as" not in m["views"]["cross_target"]
    text_of = {i: t for i, t, _, _ in ROWS}
    tested = {
        (f["view"], f["repeat"], f["fold"]): {text_of[i] for i in f["test_ids"]}
        for f in json.loads((out / "folds.json").read_text())
    }
    logged = responses(out)
    assert len(logged) == m["n_predictions"] + m["views"]["cross_target"]["n_predictions"]
    for r in logged:
        prompt = sent[r["prompt_sha256"]]  # asked in this run (or cached from an earlier fold)
        shown = re.findall(r"^Sentence: (.*)$", prompt, flags=re.M)
        assert shown[-1] == text_of[r["id"]] and len(shown) == 1 + 4
        assert not set(shown[:-1]) & tested[(r["view"], r["repeat"], r["fold"])]
    assert len(server.requests) <= len(logged)


def test_a_500_is_retried_then_the_run_stops_with_one_line_and_keeps_finished_runs(
    tmp_path, capsys
):
    failures = {"left": 1}

    def flaky(model: str, prompt: str):
        if item_of(prompt)[0].startswith("The park covers") and failures["left"]:
            failures["left"] -= 1
            return 500, ""
        return by_cue(model, prompt)

    with running(ChatServer(answer=flaky)) as server:
        cfg = write_config(tmp_path, base_url=server.base_url, model="m1", retries=1)
        assert run(cfg, "--out", tmp_path / "runs") == 0
        assert len(server.requests) == N + 1  # the one retry
        manifest = json.loads((tmp_path / "runs" / "chat" / "manifest.json").read_text())
        assert manifest["requests"]["retried"] == 1

    def broken(model: str, prompt: str):
        return (500, "") if model == "bad" else by_cue(model, prompt)

    with running(ChatServer(answer=broken)) as server:
        good = write_config(tmp_path, name="a_good", base_url=server.base_url, model="ok")
        bad = write_config(tmp_path, name="b_bad", base_url=server.base_url, model="bad", retries=2)
        capsys.readouterr()
        code = main(
            ["run", "-q", "--n-jobs", "1", str(good), str(bad), "--out", str(tmp_path / "r2")]
        )
        bad_requests = [r for r in server.requests if r["body"]["model"] == "bad"]
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"stance-bench: error: {bad}, view cv, repeat 0, fold ")
    assert ": openai_chat: http://127.0.0.1:" in err[0]  # the config, the fold, the endpoint
    assert "/v1/chat/completions: HTTP 500" in err[0] and "after 3 attempt(s)" in err[0]
    assert 3 <= len(bad_requests) <= 3 * 2  # bounded: 3 attempts, two in flight at most
    assert (tmp_path / "r2" / "a_good" / "metrics.json").is_file()  # kept
    assert not (tmp_path / "r2" / "b_bad").exists()


def test_connection_refused_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_config(tmp_path, base_url=f"http://127.0.0.1:{port}/v1", model="m1", retries=1)
    assert run(cfg, "--out", tmp_path / "runs") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "connection refused (after 2 attempt(s))" in err[0]
    assert f"127.0.0.1:{port}/v1/chat/completions" in err[0]


def test_the_api_key_is_sent_from_its_variable_and_written_nowhere(tmp_path, monkeypatch, capsys):
    secret = "sk-test-0123456789abcdef"
    with running(ChatServer()) as server:
        cfg = write_config(
            tmp_path, base_url=server.base_url, model="m1", api_key_env="STANCE_TEST_KEY"
        )
        assert run(cfg, "--out", tmp_path / "runs") == 2  # the variable is not set
        assert "STANCE_TEST_KEY, which is not set" in capsys.readouterr().err
        assert server.requests == []
        monkeypatch.setenv("STANCE_TEST_KEY", secret)
        assert run(cfg, "--out", tmp_path / "runs") == 0
        assert {r["headers"]["Authorization"] for r in server.requests} == {f"Bearer {secret}"}
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_bad_chat_configs_are_one_line_errors(tmp_path, capsys):
    prompt = tmp_path / "p.txt"
    prompt.write_text("Say {label} for {text}", encoding="utf-8")
    cases = [
        ({"model": "m"}, "needs base_url"),
        ({"base_url": "http://127.0.0.1:1/v1"}, "needs model"),
        ({"base_url": "http://x/v1", "model": "m", "prompt": "p.txt"}, "has {label}"),
        ({"base_url": "http://x/v1", "model": "m", "few_shot": 2, "trained": False}, "few_shot"),
        ({"base_url": "http://x/v1", "model": "m", "api_key_env": "sk-abc def"}, "not the key"),
        ({"base_url": "http://x/v1", "model": "m", "parse": "regex"}, "'first_label'"),
    ]
    for i, (params, expected) in enumerate(cases):
        cfg = write_config(tmp_path, name=f"bad{i}", **params)
        assert run(cfg, "--out", tmp_path / "runs") == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], (params, err)


def test_ctrl_c_stops_a_run_waiting_for_answers(tmp_path):
    port_file = tmp_path / "port"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("chat_server.py")), str(port_file), "30"],
        env=env,
    )
    try:
        for _ in range(200):
            if port_file.is_file() and port_file.read_text():
                break
            time.sleep(0.05)
        port = int(port_file.read_text())
        cfg = write_config(tmp_path, base_url=f"http://127.0.0.1:{port}/v1", model="m1")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench",
                "run",
                "-q",
                "--n-jobs",
                "1",
                str(cfg),
                "--out",
                str(tmp_path / "runs"),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        hits = Path(f"{port_file}.hit")
        for _ in range(600):  # until the run waits for its first (30 s slow) answers
            if hits.is_file():
                break
            time.sleep(0.05)
        assert hits.is_file()
        proc.send_signal(signal.SIGINT)
        # the answers take 30 s: a run that waited for them would not end within 25 s
        _, err = proc.communicate(timeout=25)
        assert proc.returncode == 130
        assert "interrupted" in err and "Traceback" not in err
        assert not (tmp_path / "runs" / "chat").exists()
    finally:
        server.kill()
        server.wait()


def test_the_example_chat_config_runs_as_the_docs_show(tmp_path, derived_dir):
    from tests.conftest import copy_examples

    examples = copy_examples(tmp_path / "configs", derived_dir)
    cfg = examples / "openai_chat.toml"
    import pyarrow.parquet as pq

    from bench.corpus.store import CONTRAST_PARQUET, PARQUET

    n_items = sum(pq.read_metadata(derived_dir / f).num_rows for f in (PARQUET, CONTRAST_PARQUET))
    with running(ChatServer()) as server:
        text = cfg.read_text().replace("http://127.0.0.1:8080/v1", server.base_url)
        cfg.write_text(text)
        assert run(cfg, "--out", tmp_path / "runs") == 0
        assert len(server.requests) == n_items  # each item once (zero-shot)
        assert run(cfg, "--out", tmp_path / "runs", "--force") == 0
        assert len(server.requests) == n_items  # all from the cache
    out = tmp_path / "runs" / "openai_chat"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["requests"]["sent"] == 0 and manifest["requests"]["cached"] == n_items
    m = metrics(out)
    assert m["answers"]["answered"] == m["answers"]["asked"]  # the JSON answers parsed
    assert round(m["pooled"]["macro_f1"], 3) == 0.360


@pytest.mark.parametrize(
    "status, delay, expected",
    [(401, 0.0, "HTTP 401 Unauthorized"), (200, 1.5, "no answer within 0.3 s")],
)
def test_a_4xx_or_a_timeout_is_retried_then_one_line(tmp_path, capsys, status, delay, expected):
    def answer(model: str, prompt: str):
        return (status, "") if status != 200 else by_cue(model, prompt)

    with running(ChatServer(answer=answer, delay_s=delay)) as server:
        cfg = write_config(
            tmp_path, base_url=server.base_url, model="m1", retries=1, timeout=0.3, concurrency=1
        )
        assert run(cfg, "--out", tmp_path / "runs") == 2
        assert len(server.requests) == 2  # the first item's two attempts, then the stop
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and "(after 2 attempt(s))" in err[0], err
