"""Several emulator processes may share one database (``serve --workers N``, or replicas on one
PostgreSQL behind a load balancer). What a process caches from it — the clock, which tenants are
seeded, the fault rules — is dropped when another process publishes a change.

Each serving process registers itself (a row with the revision it has seen and a heartbeat) and
watches the revision from a thread of its own, every ``POLL_SECONDS`` (``ALONE_POLL_SECONDS``
while no other process serves). A change published through
one process (a reset, a restore, a clock move, a fault rule) returns only once every other live
process has taken it up, or after ``ACK_TIMEOUT_SECONDS`` when one does not answer: so the next
request, through whichever process, sees the change. A process whose heartbeat is older than
``STALE_SECONDS`` (killed, say) is no longer waited for.

Listeners run outside any lock of this module: they take locks of their own (the clock's), and a
publish may come from under those.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field

from emulator.core.db import Database, StoredModel, table_of

log = logging.getLogger("emulator.revision")

POLL_SECONDS = 0.01
# A process alone on its database has nobody to hear from but a newcomer, who waits for its answer
# this long at most: it polls slowly, and fast once it has company.
ALONE_POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 1.0
STALE_SECONDS = 3.0
ACK_TIMEOUT_SECONDS = 2.0


class Revision(StoredModel, table=True):
    __tablename__ = "emulator_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


class ProcessRecord(StoredModel, table=True):
    """A process serving from this database: the revision it has taken up, and when it last said so."""

    __tablename__ = "emulator_process"

    owner: str = Field(primary_key=True, max_length=128)
    seen: int = 0
    # The last flush request (``FLUSH_ROW``) this process has answered.
    flushed: int = 0
    heartbeat_at: datetime


def _wall_now() -> datetime:
    return datetime.now(UTC)


def process_name() -> str:
    """Unique across processes and restarts."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


_REVISION = table_of(Revision)
_PROCESS = table_of(ProcessRecord)
REVISION_ROW, FLUSH_ROW = 1, 2
_READ = select(_REVISION.c.value).where(_REVISION.c.id == REVISION_ROW)
_READ_BOTH = select(_REVISION.c.id, _REVISION.c.value).where(_REVISION.c.id.in_((REVISION_ROW, FLUSH_ROW)))


class SharedRevision:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._seen: int | None = None
        self._seen_lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self.owner = process_name()
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()
        self._peers = 0
        self._flushed = 0
        self._flush_listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        with self._db.engine.begin() as connection:
            present = {row.id for row in connection.execute(_READ_BOTH)}
            for row in (REVISION_ROW, FLUSH_ROW):
                if row not in present:
                    try:
                        with connection.begin_nested():
                            connection.execute(insert(_REVISION).values(id=row, value=0))
                    except IntegrityError:  # another process created it first
                        pass
        self._seen = self._current()
        with self._db.engine.connect() as connection:
            self._flushed = dict(connection.execute(_READ_BOTH).all())[FLUSH_ROW]

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def on_flush(self, listener: Callable[[], None]) -> None:
        """``listener`` writes out what this process holds back (the journal's buffer) when any
        process asks (``flush_everywhere``)."""
        self._flush_listeners.append(listener)

    @property
    def shared(self) -> bool:
        """Whether other live processes serve from this database (as of the last heartbeat)."""
        return self._peers > 0

    # --- serving processes -------------------------------------------------------------------

    def join(self) -> bool:
        """Register this process and start watching; True when no other live process serves
        from this database (the emulator is starting afresh). The processes already serving
        learn of this one at once (a publish), so they know they are no longer alone."""
        with self._db.engine.begin() as connection:
            # Rows of processes long gone (killed: they could not deregister) are dropped here.
            connection.execute(delete(_PROCESS).where(_PROCESS.c.heartbeat_at < _wall_now() - timedelta(hours=1)))
            self._peers = self._live_peers(connection)
            connection.execute(
                insert(_PROCESS).values(
                    owner=self.owner, seen=self._seen or 0, flushed=self._flushed, heartbeat_at=_wall_now()
                )
            )
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch, name="shared-revision", daemon=True)
        self._watcher.start()
        alone = self._peers == 0
        if not alone:
            self.publish()
        return alone

    def leave(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        try:
            with self._db.engine.begin() as connection:
                connection.execute(delete(_PROCESS).where(_PROCESS.c.owner == self.owner))
        except Exception:  # the database is going away too: the row goes stale on its own
            log.debug("could not deregister", exc_info=True)

    def _live_peers(self, connection: Connection, behind: int | None = None, unflushed: int | None = None) -> int:
        statement = (
            select(func.count())
            .select_from(_PROCESS)
            .where(
                _PROCESS.c.owner != self.owner,
                _PROCESS.c.heartbeat_at > _wall_now() - timedelta(seconds=STALE_SECONDS),
            )
        )
        if behind is not None:
            statement = statement.where(_PROCESS.c.seen < behind)
        if unflushed is not None:
            statement = statement.where(_PROCESS.c.flushed < unflushed)
        return connection.execute(statement).scalar_one()

    def _watch(self) -> None:
        beat = 0.0
        while not self._stopping.wait(POLL_SECONDS if self.shared else ALONE_POLL_SECONDS):
            try:
                self._poll()
                if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                    beat = time.monotonic()
                    self._acknowledge(heartbeat=True)
            except Exception:
                log.exception("watching the shared revision failed")
                self._stopping.wait(0.5)

    def _acknowledge(self, heartbeat: bool = False) -> None:
        """Say which revision this process has taken up (and, on a heartbeat, that it lives);
        count the live peers again meanwhile (one may just have joined)."""
        values: dict = {"seen": self._seen or 0}
        if heartbeat:
            values["heartbeat_at"] = _wall_now()
        with self._db.engine.begin() as connection:
            connection.execute(update(_PROCESS).where(_PROCESS.c.owner == self.owner).values(**values))
            self._peers = self._live_peers(connection)

    # --- the revision --------------------------------------------------------------------------

    def publish(self) -> None:
        """Tell the other processes that shared state changed under their caches; return once
        every live one has taken it up (or after ``ACK_TIMEOUT_SECONDS``)."""
        with self._db.engine.begin() as connection:
            connection.execute(update(_REVISION).where(_REVISION.c.id == 1).values(value=_REVISION.c.value + 1))
            value = connection.execute(_READ).scalar_one()
        with self._seen_lock:
            # Only when nobody else published meanwhile: otherwise the watcher finds the revision
            # ahead of what this process has seen and takes everything up again.
            if self._seen is not None and value == self._seen + 1:
                self._seen = value
        if self._watcher is None:
            return  # not serving (a tool, or an app without its lifespan): nobody waits on it
        self._wait_for_peers(behind=value)

    def flush_everywhere(self) -> None:
        """Ask every other live process to write out what it holds back, and wait until they
        have (or ``ACK_TIMEOUT_SECONDS``): what they answered is then in the store."""
        if self._watcher is None or not self.shared:
            return
        with self._db.engine.begin() as connection:
            connection.execute(update(_REVISION).where(_REVISION.c.id == FLUSH_ROW).values(value=_REVISION.c.value + 1))
            value = connection.execute(select(_REVISION.c.value).where(_REVISION.c.id == FLUSH_ROW)).scalar_one()
        self._wait_for_peers(unflushed=value)

    def _wait_for_peers(self, behind: int | None = None, unflushed: int | None = None) -> None:
        deadline = time.monotonic() + ACK_TIMEOUT_SECONDS
        while True:
            with self._db.engine.connect() as connection:
                if self._live_peers(connection, behind=behind, unflushed=unflushed) == 0:
                    return
            if time.monotonic() >= deadline:
                log.warning("another process did not answer in time (revision %s, flush %s)", behind, unflushed)
                return
            time.sleep(POLL_SECONDS / 2)

    def _poll(self) -> None:
        with self._db.engine.connect() as connection:
            values = dict(connection.execute(_READ_BOTH).all())
        self._take_up(values[REVISION_ROW])
        if values[FLUSH_ROW] != self._flushed:
            for listener in self._flush_listeners:
                listener()
            self._flushed = values[FLUSH_ROW]
            with self._db.engine.begin() as connection:
                connection.execute(update(_PROCESS).where(_PROCESS.c.owner == self.owner).values(flushed=self._flushed))

    def check(self, _now: datetime | None = None) -> None:
        """Take up a change another process published: run the listeners, then say so."""
        self._take_up(self._current())

    def _take_up(self, current: int) -> None:
        with self._seen_lock:
            if current == self._seen:
                return
            self._seen = current
        for listener in self._listeners:
            listener()
        if self._watcher is not None:
            self._acknowledge()

    def _current(self) -> int:
        with self._db.engine.connect() as connection:
            return connection.execute(_READ).scalar_one()
