"""Reading an import file in a second process while this one writes.

Parsing a CSV row costs about as much CPU as storing it; in a child process
it runs on another core, and the parent only unpickles finished batches
(about a tenth of the parsing cost). The queue between them holds a few
batches, so memory stays flat however large the file is.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Batches parsed ahead of the writer (bounds the memory held in the queue).
QUEUE_DEPTH = 4
#: How often a blocked side checks whether the other one is still alive (s).
_POLL_SECONDS = 1.0


def read_in_background(
    make_reader: Callable[[], Iterator[Any]], *, depth: int = QUEUE_DEPTH
) -> Iterator[Any]:
    """Yield the items of ``make_reader()``, which runs in a forked child
    process. An exception raised by the reader (a bad header, an unreadable
    file) is raised here, in the caller; ``RuntimeError`` if the child dies
    without one. Stopping early (or an error in the caller) stops the child;
    a child whose parent is killed exits by itself. Falls back to reading in
    this process where ``fork`` is unavailable."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from make_reader()
        return
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=depth)
    child = context.Process(
        target=_produce,
        args=(make_reader, channel, os.getpid()),
        name="replywatch-reader",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                kind, item = channel.get(timeout=_POLL_SECONDS)
            except queue_module.Empty:
                if not child.is_alive():
                    raise RuntimeError(
                        f"the file reader process died (exit code {child.exitcode})"
                    ) from None
                continue
            if kind == "item":
                yield item
            elif kind == "error":
                raise item
            else:
                break
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()


def _produce(make_reader: Callable[[], Iterator[Any]], channel: Any, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the parent decides what to do
    # and stops this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Whatever this process is blocked on (a full queue, flushing the last
    # batch into a pipe nobody reads), it must not outlive a killed importer:
    # it would hold the importer's stdout/stderr open and its caller waiting.
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        for item in make_reader():
            _put(channel, ("item", item), parent_pid)
    except Exception as exc:  # handed to the parent, which raises it
        _put(channel, ("error", exc), parent_pid)
    else:
        _put(channel, ("done", None), parent_pid)
    channel.close()
    channel.join_thread()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_POLL_SECONDS / 4)
    os._exit(0)


def _put(channel: Any, message: tuple[str, Any], parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:  # the importer was killed: nobody will read
            os._exit(0)
        try:
            channel.put(message, timeout=_POLL_SECONDS)
            return
        except queue_module.Full:
            continue
