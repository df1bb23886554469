"""``openai_chat``: a model that asks an OpenAI-compatible chat endpoint for each item's
label (a local vLLM, llama.cpp or Ollama server, or a hosted API).

Each test item's prompt is the template (``prompt``, a file with ``{text}``, ``{target}``,
``{labels}`` and, for few-shot, ``{examples}``) filled in; with ``few_shot = k``, k
examples drawn from the fold's training items only (so the model is trained per fold;
without them it is zero-shot). The request is a ``POST {base_url}/chat/completions``
with ``model``, the prompt as the one user message, ``temperature`` (0 by default),
``seed`` and ``max_tokens``; ``api_key_env`` names the environment variable that holds
the key (sent as a bearer token, written nowhere).

The answer is read by the ``parse`` rule: ``first_label`` (the allowed label that
appears first, as a word, case-insensitive) or ``json`` (the answer is a JSON object,
the label in its ``json_field``). An answer no label can be read from is an abstention
(``parse_failure``) whose raw text is kept in ``responses.jsonl``.

Answers are cached in SQLite (``cache``, default ``responses.sqlite`` in the runs folder)
under the hash of the endpoint and the whole request body (model, prompt, every
generation parameter): a changed model name, prompt or parameter never hits another's
entry. Only successful, non-empty answers at temperature 0 are cached. Connection
failures, HTTP errors and timeouts are retried ``retries`` times, then the run stops
with one line naming the endpoint and the status.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.constraints import FilePath, Interval, OneOf
from bench.errors import ConfigError, ModelError
from bench.models.answering import Answers
from bench.models.registry import FitContext, register

PROMPT = Path(__file__).resolve().parent.parent / "data" / "prompt.txt"
PLACEHOLDERS = ("text", "target", "labels", "examples")
PARSERS = ("first_label", "json")
CACHE_NAME = "responses.sqlite"  # in the runs folder, unless ``cache`` names a file
BACKOFF_S = 0.25  # the first retry's wait; doubled each time, at most MAX_BACKOFF_S
MAX_BACKOFF_S = 4.0
EXAMPLE = "Sentence: {text}\nTarget: {target}\nLabel: {label}\n\n"


# ------------------------------------------------------------------------------ prompts
def placeholders(template: str) -> list[str]:
    """The ``{name}`` fields of a template (``{{`` and ``}}`` are literal braces)."""
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def read_template(path: str | Path, where: str) -> str:
    try:
        template = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read the prompt {path} ({exc})") from None
    try:
        names = placeholders(template)
    except ValueError as exc:  # a lone brace
        raise ConfigError(
            f"{where}: the prompt {path} is not a template ({exc}); write literal braces as "
            "{{ and }}"
        ) from None
    bad = [n for n in names if n not in PLACEHOLDERS]
    if bad:
        raise ConfigError(
            f"{where}: the prompt {path} has {', '.join('{' + n + '}' for n in bad)}; a "
            f"prompt may use {', '.join('{' + n + '}' for n in PLACEHOLDERS)} (literal "
            "braces as {{ and }})"
        )
    if "text" not in names:
        raise ConfigError(f"{where}: the prompt {path} has no {{text}}: the item is not in it")
    return template


def render(template: str, text: str, target: str, labels: Sequence[str], examples: str) -> str:
    return template.format(text=text, target=target, labels=", ".join(labels), examples=examples)


# ------------------------------------------------------------------------------ parsing
def parse_label(answer: str, labels: Sequence[str], rule: str, field: str) -> str | None:
    """The label an answer gives by ``rule`` (``PARSERS``), or None."""
    if rule == "json":
        text = answer.strip()
        fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.S)
        if fenced:
            text = fenced.group(1)
        try:
            obj = json.loads(text)
        except ValueError:
            found = re.search(r"\{.*\}", text, flags=re.S)
            if found is None:
                return None
            try:
                obj = json.loads(found.group(0))
            except ValueError:
                return None
        value = obj.get(field) if isinstance(obj, dict) else None
        if not isinstance(value, str):
            return None
        by_lower = {lab.lower(): lab for lab in labels}
        return by_lower.get(value.strip().lower())
    alternatives = sorted(labels, key=len, reverse=True)  # the longest first at one place
    pattern = r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, alternatives)) + r")(?![A-Za-z0-9_])"
    found = re.search(pattern, answer, flags=re.I)
    if found is None:
        return None
    return {lab.lower(): lab for lab in labels}[found.group(1).lower()]


# ------------------------------------------------------------------------------ cache
class ResponseCache:
    """Answers by request hash, in one SQLite file shared by processes (WAL)."""

    def __init__(self, path: Path):
        import sqlite3

        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, endpoint TEXT, "
            "model TEXT, answer TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, "
            "created REAL)"
        )
        self.db.commit()

    def get(self, key: str) -> tuple[str, int | None, int | None] | None:
        row = self.db.execute(
            "SELECT answer, prompt_tokens, completion_tokens FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def put(self, key: str, endpoint: str, model: str, reply: Reply) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                endpoint,
                model,
                reply.content,
                reply.prompt_tokens,
                reply.completion_tokens,
                time.time(),
            ),
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()


# ------------------------------------------------------------------------------ HTTP
@dataclass(frozen=True)
class Reply:
    content: str
    prompt_tokens: int | None
    completion_tokens: int | None
    served_model: str | None
    seconds: float
    attempts: int  # 1 + the retries it took


class _Failed(Exception):
    """One failed attempt: the status to report."""


def _attempt(endpoint: str, body: bytes, headers: dict[str, str], timeout: float) -> Reply:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as exc:
        raise _Failed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise _Failed(f"no answer within {timeout:g} s") from None
        if isinstance(reason, ConnectionRefusedError):
            raise _Failed("connection refused") from None
        raise _Failed(f"cannot connect ({reason})") from None
    except TimeoutError:
        raise _Failed(f"no answer within {timeout:g} s") from None
    except (ConnectionError, OSError) as exc:
        raise _Failed(f"connection failed ({type(exc).__name__})") from None
    seconds = time.perf_counter() - t0
    try:
        doc = json.loads(payload)
        message = doc["choices"][0]["message"]
        content = message.get("content")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise _Failed("an answer that is not a chat completion (no choices[0].message)") from None
    usage = doc.get("usage") if isinstance(doc.get("usage"), dict) else {}

    def count(name: str) -> int | None:
        value = usage.get(name)
        return (
            int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        )

    return Reply(
        content if isinstance(content, str) else "",
        count("prompt_tokens"),
        count("completion_tokens"),
        doc.get("model") if isinstance(doc.get("model"), str) else None,
        seconds,
        1,
    )


def post(
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    retries: int,
    sleep=time.sleep,
) -> Reply:
    """One chat completion, retried ``retries`` times on any failure (connection, HTTP
    status, timeout, an answer that is not a chat completion), with doubling waits;
    then a ModelError naming the endpoint and the last status."""
    for attempt in range(retries + 1):
        try:
            reply = _attempt(endpoint, body, headers, timeout)
        except _Failed as failed:
            if attempt == retries:
                raise ModelError(
                    f"openai_chat: {endpoint}: {failed} (after {attempt + 1} attempt(s)); "
                    "check that the server runs and base_url, model and api_key_env are "
                    "right; runs already complete were kept"
                ) from None
            sleep(min(MAX_BACKOFF_S, BACKOFF_S * 2**attempt))
            continue
        return Reply(
            reply.content,
            reply.prompt_tokens,
            reply.completion_tokens,
            reply.served_model,
            reply.seconds,
            attempt + 1,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _ask(
    keys: list[str],
    bodies: dict[str, bytes],
    endpoint: str,
    headers: dict[str, str],
    timeout: float,
    retries: int,
    concurrency: int,
):
    """(key, Reply) as each request is answered, ``concurrency`` at a time. The senders
    are daemon threads and this generator waits in short slices, so a Ctrl-C (or the
    first request that fails for good) stops at once: nothing waits for requests still
    in flight."""
    import queue
    import threading

    if not keys:
        return
    todo: queue.Queue[str] = queue.Queue()
    for k in keys:
        todo.put(k)
    done: queue.Queue[tuple[str, Reply | BaseException]] = queue.Queue()
    stop = threading.Event()

    def sender() -> None:
        while not stop.is_set():
            try:
                k = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((k, post(endpoint, bodies[k], headers, timeout=timeout, retries=retries)))
            except BaseException as exc:  # handed to the caller's thread; nobody sends more
                stop.set()
                done.put((k, exc))

    for _ in range(max(1, min(concurrency, len(keys)))):
        threading.Thread(target=sender, daemon=True).start()
    try:
        for _ in keys:
            while True:
                try:
                    k, result = done.get(timeout=0.1)
                    break
                except queue.Empty:
                    continue
            if isinstance(result, BaseException):
                raise result
            yield k, result
    finally:
        stop.set()


# ------------------------------------------------------------------------------ the model
def _trained(params: Mapping[str, Any]) -> bool:
    if params.get("trained") is not None:
        return bool(params["trained"])
    return int(params.get("few_shot", 0)) > 0


def _validate(params: Mapping[str, Any], where: str) -> None:
    at = f"[model] of {where}"
    base_url = params.get("base_url", "")
    if not re.match(r"https?://[^/\s]+", base_url or ""):
        raise ConfigError(
            f'{at}: openai_chat needs base_url = "http://HOST:PORT/v1" (the server\'s '
            f"OpenAI-compatible root, before /chat/completions); got {base_url!r}"
        )
    if not params.get("model"):
        raise ConfigError(f'{at}: openai_chat needs model = "..." (the name the server serves)')
    few_shot = int(params.get("few_shot", 0))
    if params.get("trained") is False and few_shot > 0:
        raise ConfigError(
            f"{at}: trained = false, but few_shot = {few_shot} draws examples from the "
            "training items; set few_shot = 0 for a zero-shot model"
        )
    template = read_template(params.get("prompt") or PROMPT, at)
    if few_shot > 0 and "examples" not in placeholders(template):
        raise ConfigError(
            f"{at}: few_shot = {few_shot}, but the prompt has no {{examples}} to put them in"
        )
    env = params.get("api_key_env", "")
    if env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
        raise ConfigError(
            f"{at}: api_key_env names an environment variable (e.g. OPENAI_API_KEY), not the "
            "key itself; got a value that is not a variable name"
        )


POSITIVE = Interval(0, None, closed="neither")


@register(
    "openai_chat",
    "an OpenAI-compatible chat endpoint asked for each item's label (zero- or few-shot)",
    constraints={
        "prompt": FilePath(default=PROMPT),
        "few_shot": Interval(0, 64, integer=True),
        "temperature": Interval(0, 2),
        "max_tokens": Interval(1, 100_000, integer=True),
        "seed": Interval(0, 2**31 - 1, integer=True),
        "timeout": POSITIVE,
        "retries": Interval(0, 10, integer=True),
        "concurrency": Interval(1, 64, integer=True),
        "parse": OneOf(PARSERS),
        "abstain": OneOf(("wrong", "drop")),
        "cache": FilePath(must_exist=False, read=False),
    },
    trained=_trained,
    validate=_validate,
)
def openai_chat(
    *,
    base_url: str = "",
    model: str = "",
    prompt: str = "",
    few_shot: int = 0,
    temperature: float = 0.0,
    seed: int = 0,
    max_tokens: int = 16,
    api_key_env: str = "",
    timeout: float = 60.0,
    retries: int = 2,
    concurrency: int = 4,
    parse: str = "first_label",
    json_field: str = "label",
    abstain: str = "wrong",
    cache: str = "",
    trained: bool | None = None,
    labels: tuple[str, ...] | None = None,
    random_state: int | None = None,
    context: FitContext | None = None,
):
    return ChatModel(
        base_url=base_url,
        model=model,
        prompt=prompt or str(PROMPT),
        few_shot=few_shot,
        temperature=temperature,
        seed=seed,
        max_tokens=max_tokens,
        api_key_env=api_key_env,
        timeout=timeout,
        retries=retries,
        concurrency=concurrency,
        parse=parse,
        json_field=json_field,
        abstain=abstain,
        cache=cache,
        labels=labels,
        random_state=random_state,
        context=context,
    )


@dataclass
class ChatModel:
    """The estimator of ``openai_chat`` (its fields are the config's parameters):
    ``fit`` draws the few-shot examples from the training items; ``answer`` asks the
    endpoint about each test item, the cache first."""

    base_url: str
    model: str
    prompt: str
    few_shot: int = 0
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 16
    api_key_env: str = ""
    timeout: float = 60.0
    retries: int = 2
    concurrency: int = 4
    parse: str = "first_label"
    json_field: str = "label"
    abstain: str = "wrong"
    cache: str = ""
    labels: tuple[str, ...] | None = None
    random_state: int | None = None
    context: FitContext | None = None

    # ------------------------------------------------------------------ before any fold
    def _key(self) -> str | None:
        import os

        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ModelError(
                f"openai_chat: api_key_env names {self.api_key_env}, which is not set; "
                f"export {self.api_key_env}=... (the key is read from there, written nowhere)"
            )
        return key

    def check_items(self, items) -> None:
        """Before any fold: the key's variable is set (the items need no check)."""
        self._key()

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y):
        """The few-shot examples: ``few_shot`` training items, the labels taken in turn
        (each label's items in a seeded random order), so every label the fold has is
        shown before any is shown twice."""
        import numpy as np

        from bench.protocol import random_keys

        self.template_ = read_template(self.prompt, "openai_chat")
        y = np.asarray(y).astype(str)
        chosen: list[int] = []
        if self.few_shot and len(y):
            keys = random_keys(int(self.random_state or 0), len(y))
            queues = {
                lab: [int(i) for i in sorted(np.flatnonzero(y == lab), key=lambda i: keys[i])]
                for lab in sorted(set(y.tolist()))
            }
            while len(chosen) < min(self.few_shot, len(y)):
                for lab in queues:
                    if queues[lab] and len(chosen) < self.few_shot:
                        chosen.append(queues[lab].pop(0))
        texts, targets = X["text"].astype(str).tolist(), X["target"].astype(str).tolist()
        self.examples_ = "".join(
            EXAMPLE.format(text=texts[i], target=targets[i], label=y[i]) for i in chosen
        )
        return self

    def predict(self, X):
        import numpy as np

        return np.array(self.answer(X).labels, dtype=object)

    # ------------------------------------------------------------------ answering
    def _cache(self) -> ResponseCache | None:
        ctx = self.context or FitContext()
        if self.cache:
            return ResponseCache(Path(self.cache))
        if ctx.runs is not None:
            return ResponseCache(Path(ctx.runs) / CACHE_NAME)
        return None

    def answer(self, X) -> Answers:
        from bench.io import sha256_bytes

        labels = list(self.labels or ())
        endpoint = self.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        prompts = [
            render(self.template_, t, g, labels, self.examples_)
            for t, g in zip(X["text"].astype(str), X["target"].astype(str), strict=True)
        ]
        bodies: dict[str, bytes] = {}
        row_key: list[str] = []
        for text in prompts:
            body = {
                "model": self.model,
                "messages": [{"role": "user", "content": text}],
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "seed": self.seed,
            }
            raw = json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
            k = sha256_bytes(endpoint.encode("utf-8"), raw)
            bodies.setdefault(k, raw)
            row_key.append(k)
        cache = self._cache()
        cacheable = self.temperature == 0
        replies: dict[str, Reply] = {}
        cached: set[str] = set()
        usage = {"sent": 0.0, "cached": 0.0, "retried": 0.0, "request_seconds": 0.0}
        try:
            if cache is not None and cacheable:
                for k in bodies:
                    entry = cache.get(k)
                    if entry is not None:
                        replies[k] = Reply(entry[0], entry[1], entry[2], None, 0.0, 0)
                        cached.add(k)
            todo = [k for k in bodies if k not in replies]
            for k, reply in _ask(
                todo, bodies, endpoint, headers, self.timeout, self.retries, self.concurrency
            ):
                replies[k] = reply
                usage["sent"] += 1
                usage["retried"] += reply.attempts - 1
                usage["request_seconds"] += reply.seconds
                if cache is not None and cacheable and reply.content.strip():
                    cache.put(k, endpoint, self.model, reply)
        finally:
            if cache is not None:
                cache.close()
        out: list[str | None] = []
        reasons: list[str] = []
        records: list[dict[str, Any]] = []
        prompt_tokens = completion_tokens = 0
        for k in row_key:
            reply = replies[k]
            label = parse_label(reply.content, labels, self.parse, self.json_field)
            out.append(label)
            reasons.append("" if label is not None else "parse_failure")
            hit = k in cached
            usage["cached"] += float(hit)
            prompt_tokens += reply.prompt_tokens or 0
            completion_tokens += reply.completion_tokens or 0
            record: dict[str, Any] = {
                "prompt_sha256": k,
                "model": self.model,
                "raw": reply.content,
                "predicted": label,
                "cached": hit,
                "latency_s": round(reply.seconds, 4),
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
            }
            if label is None:
                record["no_answer"] = "parse_failure"
            if reply.served_model is not None and reply.served_model != self.model:
                record["served_model"] = reply.served_model
            records.append(record)
        usage["prompt_tokens"] = float(prompt_tokens)
        usage["completion_tokens"] = float(completion_tokens)
        return Answers(out, reasons, self.abstain, records, None, usage)
