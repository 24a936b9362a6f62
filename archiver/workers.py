"""Worker processes for the work that runs in parallel: rendering volumes and checking copies.

Workers are forked on Linux, so what they are started with (an open signing key, say) is inherited, not
pickled; each job is a picklable call. A worker ends within seconds of the process that made the pool.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Inline(Executor):
    """Runs work in the calling process (one worker, or already inside a worker)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@contextmanager
def workers(
    count: int | None = None, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[Executor]:
    """A pool of worker processes; `initializer(*initargs)` gives each its state (in this process too when
    the work runs inline). Jobs are picklable; the state may hold what cannot be pickled (a signing key, a
    token session): the workers are forked, so it is inherited, never serialized."""
    count = count or os.cpu_count() or 1
    if count <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield Inline()
        return
    context = multiprocessing.get_context("fork")
    parent = (os.getpid(), threading.main_thread().ident)
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_start, initargs=(parent, initializer, initargs)
    ) as pool:
        yield pool


def _start(parent: tuple[int, int | None], initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    exit_with_parent(*parent)
    if initializer is not None:
        initializer(*initargs)


def exit_with_parent(parent: int, parent_main_thread: int | None) -> None:
    """Worker initializer: the worker ends within seconds when the process that made the pool dies.

    Without it a killed `archiver` (kill -9, the OOM killer) leaves its workers running forever, reparented
    to init, ~190 MB each. On Linux the kernel kills the worker (PR_SET_PDEATHSIG) -- but that fires when
    the *thread* that forked it exits, and ProcessPoolExecutor forks in whichever thread first calls
    submit(); so it is used only when that was the parent's main thread (a forked child keeps the forking
    thread's ident). Otherwise, and off Linux, a daemon thread checks os.getppid() every second.
    """
    if threading.get_ident() != parent_main_thread or not _kill_me_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the above was in place
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) for the calling process; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
