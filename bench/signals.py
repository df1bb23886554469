"""SIGINT and SIGTERM, handled alike: the command stops where it is, its partial outputs
and temp folders are removed on the way out (``finally`` blocks and context managers
run), and its worker processes are ended with it. ``bench.cli`` installs the handlers
for the duration of a command (``handled``) and words the one line; plug-in code is
told apart from a real interrupt by ``received``: a ``KeyboardInterrupt`` that a model
raises itself, with no signal behind it, is a failure of that model (see
``bench.models.plugins.plugin_code``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that every cleanup written for
    an interrupt (joblib ending its workers, staging folders removed) runs for it too."""


_state: dict[str, int | bool | None] = {"installed": False, "received": None}


def _handler(signum: int, frame) -> None:
    _state["received"] = signum
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise an interrupt in the main thread for the block (nothing is
    installed when the block runs in another thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    old_state = dict(_state)
    _state.update(installed=True, received=None)
    for s in HANDLED:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _state.update(old_state)


def received() -> int | None:
    """The signal our handler received during the current command, or None."""
    value = _state["received"]
    return int(value) if value is not None else None


def real_interrupt() -> bool:
    """Whether a KeyboardInterrupt seen now comes from a signal (Ctrl-C, SIGTERM) rather
    than from code that raised it itself. Under ``handled`` we know; in a worker process
    (whose parent is interrupted by the same Ctrl-C and ends it anyway) a KeyboardInterrupt
    is the model's own; in a main process without our handler (the Python API) we cannot
    tell, and take it for a real one."""
    if _state["installed"]:
        return _state["received"] is not None
    import multiprocessing

    return multiprocessing.parent_process() is None
