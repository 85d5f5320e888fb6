"""Work that comes due with time (order transitions, callback deliveries).

Providers register jobs; they run on a steady tick while the emulator serves, and at once after the
clock is moved, so advancing the clock runs every transition that has come due, in order.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from emulator.core.threads import in_thread

log = logging.getLogger("emulator.background")

Job = Callable[[datetime], object]

# Callback deliveries go last in a pass, so the callbacks of transitions it ran go out at once.
DISPATCH_ORDER = 100


class BackgroundWork:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._jobs: list[tuple[int, str, Job]] = []
        # One pass at a time, whether started by the tick or by a clock move.
        self._lock = threading.Lock()

    def register(self, name: str, job: Job, *, order: int = 0) -> None:
        """Jobs run by ascending ``order``, then in the order registered: work that produces
        callbacks (order 0) runs before the dispatcher that sends them (``DISPATCH_ORDER``)."""
        self._jobs.append((order, name, job))
        self._jobs.sort(key=lambda entry: entry[0])

    def run_due(self) -> None:
        with self._lock:
            for _order, name, job in self._jobs:
                try:
                    job(self._now())
                except Exception:  # a failing job must not stop the others or the tick
                    log.exception("background job %s failed", name)

    async def run_forever(self, tick_seconds: float) -> None:
        # The first tick is one interval after start, not at once: it is the first to run the
        # jobs' queries (and compile them), and would share the interpreter with the first
        # requests, which a client starting the emulator is waiting on.
        while True:
            await asyncio.sleep(tick_seconds)
            await in_thread(self.run_due)
