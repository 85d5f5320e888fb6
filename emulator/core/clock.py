"""The emulator's one clock: real time shifted by an offset, or frozen at an instant.

Provider code never calls ``datetime.now()``: it asks this clock, so tests can move time forward
(token expiry, order transitions, callback retries) without waiting. The state is kept in the
database, so a restarted emulator keeps its virtual time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import Field, SQLModel

from emulator.core.db import Database


class ClockState(SQLModel, table=True):
    __tablename__ = "emulator_clock"

    id: int = Field(default=1, primary_key=True)
    offset_seconds: float = 0.0
    frozen_at: datetime | None = None


def utc_now() -> datetime:
    """Real time, aware UTC (SQLModel stores aware datetimes as UTC on every database)."""
    return datetime.now(UTC)


class Clock:
    def __init__(self, db: Database, on_change: Callable[[], None] = lambda: None) -> None:
        self._db = db
        self._on_change = on_change
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def load(self) -> None:
        with self._db.session() as session:
            state = session.get(ClockState, 1)
        with self._lock:
            if state is None:
                self._offset, self._frozen_at = timedelta(0), None
                return
            self._offset = timedelta(seconds=state.offset_seconds)
            self._frozen_at = state.frozen_at

    def now(self) -> datetime:
        """Virtual now, aware UTC."""
        frozen_at = self._frozen_at
        return frozen_at if frozen_at is not None else utc_now() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            step = timedelta(seconds=seconds)
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step
            self._save()
            return self.now()

    def set(self, instant: datetime) -> datetime:
        """Jump to an instant; a frozen clock stays frozen there, a running one runs on from it."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - utc_now()
            self._save()
            return self.now()

    def freeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self.now()
                self._save()
            return self._frozen_at

    def resume(self) -> datetime:
        """Let time run again from the frozen instant."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - utc_now()
                self._frozen_at = None
                self._save()
            return self.now()

    def reset(self) -> datetime:
        """Back to real time."""
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None
            self._save()
            return self.now()

    def _save(self) -> None:
        with self._db.session() as session:
            state = session.get(ClockState, 1) or ClockState(id=1)
            state.offset_seconds = self._offset.total_seconds()
            state.frozen_at = self._frozen_at
            session.add(state)
            session.commit()
        self._on_change()
