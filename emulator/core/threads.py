"""Blocking work the event loop hands to a thread (a tenant's first seed, a write through an ORM
session, a read through the engine's pool): the emulator's one way to do it.

The stdlib's executor and context copying, as ``asyncio.to_thread`` does them, rather than
Starlette's ``run_in_threadpool``: that one goes through anyio, whose asyncio backend is a
fifth of a second's imports on a first request, and which a first documented answer does not
otherwise need. The pool is as large as anyio's default thread limit (what these calls had
before), made on first use.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WORKER_THREADS = 40

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="emulator-worker")
    return _pool


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on a worker thread, in a copy of the caller's context."""
    call = functools.partial(contextvars.copy_context().run, function, *args)
    return await asyncio.get_running_loop().run_in_executor(_workers(), call)
