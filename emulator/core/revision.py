"""Several emulator processes may share one database (PostgreSQL behind a load balancer). What a
process caches from it — the clock, which tenants are seeded — is dropped when another process
publishes a change, at the latest one background tick later."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from emulator.core.db import Database


class Revision(SQLModel, table=True):
    __tablename__ = "emulator_revision"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


class SharedRevision:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._seen: int | None = None
        self._listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        with self._db.session() as session:
            if session.get(Revision, 1) is None:
                session.add(Revision(id=1, value=0))
                try:
                    session.commit()
                except IntegrityError:  # another process created it first
                    session.rollback()
        self._seen = self._current()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def publish(self) -> None:
        """Tell the other processes that shared state changed under their caches."""
        with self._db.session() as session:
            session.exec(update(Revision).where(col(Revision.id) == 1).values(value=col(Revision.value) + 1))
            session.commit()
            self._seen = self._value(session)

    def check(self, _now: datetime | None = None) -> None:
        current = self._current()
        if current != self._seen:
            self._seen = current
            for listener in self._listeners:
                listener()

    def _current(self) -> int:
        with self._db.session() as session:
            return self._value(session)

    @staticmethod
    def _value(session: Session) -> int:
        return session.exec(select(Revision.value).where(Revision.id == 1)).one()
