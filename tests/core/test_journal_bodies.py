"""A long response body answered again and again (from the render cache) is kept once in the
journal's store, shown whole in every entry, and let go once no entry answers with it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from emulator.core.db import Database, table_of
from emulator.core.journal import SHARED_BODY_CHARS, Journal, JournalBody, JournalFilter

pytestmark = pytest.mark.each_backend


def _entry(response_body: str) -> dict:
    return dict(
        time=datetime(2026, 1, 1, tzinfo=UTC),
        provider="cm",
        tenant="t",
        method="GET",
        path="/numberrequests",
        query="",
        request_headers={},
        request_body="",
        request_body_truncated=False,
        status=200,
        response_headers={"content-type": "application/json"},
        response_body=response_body,
        response_body_truncated=False,
        duration_ms=1.0,
        fault_id=None,
    )


def _kept(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table_of(JournalBody))).scalar_one()


def test_a_body_answered_again_is_kept_once_and_shown_whole(database_url):
    db = Database(database_url).companion("requests")
    journal = Journal(3, 16_384, db)
    journal.clear()
    cached = "[" + ",".join(['{"status":"Completed"}'] * SHARED_BODY_CHARS) + "]"
    fresh = [cached[:-1] + f',"{n}"]' for n in range(2)]  # as long, but a new text each time
    for body in (cached, cached, fresh[0], cached, fresh[1]):
        journal.record(**_entry(body))
    journal.flush()

    found = journal.find(JournalFilter())
    assert [entry.response_body for entry in found] == [fresh[0], cached, fresh[1]]
    assert _kept(db) == 1  # the repeated one, once; the others with their entries

    for _ in range(3):
        journal.record(**_entry("short"))
    journal.flush()
    assert [entry.response_body for entry in journal.find(JournalFilter())] == ["short"] * 3
    assert _kept(db) == 0
    journal.close()


def test_clearing_lets_kept_bodies_go(database_url):
    db = Database(database_url).companion("requests")
    journal = Journal(10, 16_384, db)
    journal.clear()
    body = "x" * SHARED_BODY_CHARS
    for _ in range(3):
        journal.record(**_entry(body))
    journal.flush()
    assert _kept(db) == 1
    assert journal.clear() == 3
    assert _kept(db) == 0 and journal.find(JournalFilter()) == []
    journal.close()


def test_a_journal_table_of_an_earlier_version_is_made_anew(database_url):
    db = Database(database_url).companion("requests")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE emulator_journal (id INTEGER PRIMARY KEY, path TEXT)")
    journal = Journal(3, 16_384, db)
    journal.record(**_entry("x" * SHARED_BODY_CHARS))
    journal.flush()
    assert [entry.response_body for entry in journal.find(JournalFilter())] == ["x" * SHARED_BODY_CHARS]
    journal.close()
