"""A deterministic OpenAI-compatible chat server on 127.0.0.1 for the loopback tests:
the standard library's ``http.server`` speaking ``POST /v1/chat/completions``.

``answer(model, prompt) -> (status, content)`` decides each reply; every request is
recorded (path, headers, body). Usable in-process (``running``) or as a script
(``python tests/chat_server.py PORT_FILE [DELAY_S [PORT]]``, for the Ctrl-C test and to
try ``configs/examples/openai_chat.toml`` without a model: the port, PORT or a free one,
is written to PORT_FILE; each request appends a line to PORT_FILE.hit; it stops by
itself after 10 minutes).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rule = Callable[[str, str], tuple[int, str]]


def item_of(prompt: str) -> tuple[str, str]:
    """The sentence and target of the item a prompt asks about (the last ones in it)."""
    texts = re.findall(r"^Sentence: (.*)$", prompt, flags=re.M)
    targets = re.findall(r"^Target: (.*)$", prompt, flags=re.M)
    return texts[-1], targets[-1]


def by_cue(model: str, prompt: str) -> tuple[int, str]:
    """A label from the item's words ("fact" without a cue), as a JSON object when the
    prompt asks for JSON; "I cannot tell." for sentences with "unclear"."""
    text, _ = item_of(prompt)
    lowered = text.lower()
    if "unclear" in lowered:
        return 200, "I cannot tell."
    label = "fact"
    for cue, lab in (("condemn", "condemn"), ("support", "support"), ("doubt", "skeptical")):
        if cue in lowered:
            label = lab
            break
    return 200, json.dumps({"label": label}) if "JSON" in prompt else f"Label: {label}"


@dataclass
class ChatServer:
    answer: Rule = by_cue
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    hit_file: str | None = None  # touched at each request (a test in another process waits)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                if server.hit_file:
                    with open(server.hit_file, "a") as fh:
                        fh.write("hit\n")
                if server.delay_s:
                    time.sleep(server.delay_s)
                if self.path != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "no such endpoint"}})
                    return
                prompt = body["messages"][-1]["content"]
                status, content = server.answer(body["model"], prompt)
                if status != 200:
                    self._send(status, {"error": {"message": "failed on purpose"}})
                    return
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": len(prompt.split()),
                            "completion_tokens": len(content.split()),
                            "total_tokens": len(prompt.split()) + len(content.split()),
                        },
                    },
                )

            def _send(self, status: int, doc: dict) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (a timeout test) is not news


@contextlib.contextmanager
def running(server: ChatServer) -> Iterator[ChatServer]:
    httpd = QuietServer(("127.0.0.1", 0), server.handler())
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


if __name__ == "__main__":  # the server of the Ctrl-C test, in its own process
    server = ChatServer(
        delay_s=float(sys.argv[2]) if len(sys.argv) > 2 else 0.0, hit_file=sys.argv[1] + ".hit"
    )
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    httpd = QuietServer(("127.0.0.1", port), server.handler())
    httpd.daemon_threads = True
    with open(sys.argv[1], "w") as fh:
        fh.write(str(httpd.server_address[1]))
    deadline = time.monotonic() + 600  # stops by itself
    httpd.timeout = 0.5
    while time.monotonic() < deadline:
        httpd.handle_request()
