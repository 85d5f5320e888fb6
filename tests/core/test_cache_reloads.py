"""What a process keeps of shared state (the clocks, the fault rules) is read again from the store
when another process changes it. A read that started before a change of this process's own threads
committed must not put its older copy over that change: two tests moving their own tenants' clocks
at once through one server lost a clock that way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from emulator.core.clock import Clock, ClockState, TenantClockState
from emulator.core.db import Database, table_of
from emulator.core.faults import FaultRuleRow, Faults


class ChangeAfterRead:
    """The store, with one change made by this process right after the next read ends: between a
    reload's read of the store and its taking up of what it read."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.meanwhile: Callable[[], Any] | None = None

    @contextmanager
    def session(self) -> Iterator[Any]:
        with self._db.session() as session:
            yield session
        change, self.meanwhile = self.meanwhile, None
        if change is not None:
            change()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def store(tmp_path, *models) -> ChangeAfterRead:
    db = Database(f"sqlite:///{tmp_path / 'state.db'}")
    for model in models:
        table_of(model).create(db.engine)
    return ChangeAfterRead(db)


def test_a_clock_reload_keeps_a_tenant_clock_moved_while_it_read(tmp_path):
    db = store(tmp_path, ClockState, TenantClockState)
    clock = Clock(db)  # type: ignore[arg-type]
    db.meanwhile = lambda: clock.freeze("cm", "one")
    clock.load()
    assert clock.frozen("cm", "one")
    assert [own.tenant for own in clock.own_clocks()] == ["one"]


def test_a_clock_reload_keeps_the_shared_clock_moved_while_it_read(tmp_path):
    db = store(tmp_path, ClockState, TenantClockState)
    clock = Clock(db)  # type: ignore[arg-type]
    db.meanwhile = clock.freeze
    clock.load()
    assert clock.frozen()


def test_fault_rules_read_before_a_rule_was_added_are_not_kept(tmp_path):
    db = store(tmp_path, FaultRuleRow)
    faults = Faults(None, db)  # type: ignore[arg-type]
    db.meanwhile = lambda: faults.add(kind="error", status=503)
    assert not faults.active  # this read began before the rule was there
    assert faults.active
    assert [rule.row.status for rule in faults.list()] == [503]
