"""Reads through the fast reader see every write at once, made by this process or another one
sharing the SQLite file."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct

import httpx

from tests.support import YAY_ADDRESS as ADDRESS
from tests.support import EmulatorProcess

AUTH = {"X-Auth-Reseller": "fast", "X-Auth-User": "user", "X-Auth-Password": "secret"}
BASE = "/yay/voip/number-address"


def test_a_write_in_one_process_is_read_at_once_in_another(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    with EmulatorProcess(url) as writer, EmulatorProcess(url) as reader:
        before = httpx.get(reader.base_url + BASE, headers=AUTH).json()["result"]
        created = httpx.post(writer.base_url + BASE, headers=AUTH, json=ADDRESS)
        assert created.status_code == 201
        uuid = created.json()["result"]["uuid"]

        one = httpx.get(f"{reader.base_url}{BASE}/{uuid}", headers=AUTH)
        assert one.status_code == 200
        assert one.json()["result"]["nickname"] == "Work Address"
        listed = httpx.get(reader.base_url + BASE, headers=AUTH).json()["result"]
        assert [a["uuid"] for a in listed] == [a["uuid"] for a in before] + [uuid]

        replaced = httpx.put(f"{writer.base_url}{BASE}/{uuid}", headers=AUTH, json={**ADDRESS, "nickname": "Home"})
        assert replaced.status_code == 200
        assert httpx.get(f"{reader.base_url}{BASE}/{uuid}", headers=AUTH).json()["result"]["nickname"] == "Home"

        assert httpx.delete(f"{writer.base_url}{BASE}/{uuid}", headers=AUTH).status_code == 200
        assert httpx.get(f"{reader.base_url}{BASE}/{uuid}", headers=AUTH).status_code == 404


def test_a_write_is_read_back_by_the_same_process(tmp_path):
    with EmulatorProcess(f"sqlite:///{tmp_path / 'one.sqlite3'}") as emulator:
        created = httpx.post(emulator.base_url + BASE, headers=AUTH, json={**ADDRESS, "is_default": True})
        uuid = created.json()["result"]["uuid"]
        listed = httpx.get(emulator.base_url + BASE, headers=AUTH).json()["result"]
        # The new default took the place of the documented one, and both reads show it.
        assert {a["uuid"]: a["is_default"] for a in listed}[uuid] is True
        assert sum(a["is_default"] for a in listed) == 1


def test_the_version_changes_with_every_commit_of_any_connection_and_only_then(tmp_path):
    import sqlite3

    from emulator.core.db import Database
    from emulator.core.fastread import reader

    db = Database(f"sqlite:///{tmp_path / 'versions.sqlite3'}")
    other = sqlite3.connect(tmp_path / "versions.sqlite3", isolation_level=None)
    other.execute("CREATE TABLE t (n INTEGER)")
    fast = reader(db)
    seen = [fast.data_version(), fast.data_version()]
    assert fast._wal_index is not None  # read from the mapped wal-index from here on
    for n in range(30):
        before = fast.data_version()
        assert fast.data_version() == before  # nothing committed: the same
        other.execute("INSERT INTO t VALUES (?)", (n,))
        if n % 10 == 9:  # the log checkpointed and restarted: still a change per commit
            other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            other.execute("INSERT INTO t VALUES (?)", (-n,))
        after = fast.data_version()
        assert after != before
        assert after not in seen
        seen.append(after)
        # What the version promises: the reader sees the commit.
        assert fast.first_rows("SELECT count(*) FROM t", {}, 1)[0][0] == n + 1 + (n + 1) // 10
    other.close()
    fast.close()
    db.dispose()


# SQLite's unix VFS: the byte of the wal-index every process using the database holds a shared
# lock on while it has connections open ("UNIX_SHM_DMS" in os_unix.c: (22 + 8) * 4 + 8).
WAL_INDEX_IN_USE_BYTE = 128


def _holder_of_wal_index_lock(shm: str) -> int:
    """The pid of a process holding a lock on the wal-index's in-use byte (0 for none)."""
    descriptor = os.open(shm, os.O_RDWR)
    try:
        probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, WAL_INDEX_IN_USE_BYTE, 1, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(descriptor, fcntl.F_GETLK, probe))
    finally:
        os.close(descriptor)
    return 0 if kind == fcntl.F_UNLCK else pid


def test_a_server_reading_the_wal_index_keeps_its_claim_on_it_for_other_processes(tmp_path):
    """The render cache reads the database's version from the wal-index mapped into memory. The
    mapping must not cost the process SQLite's locks on that file (closing any descriptor of a
    file drops all of them): another process would then rebuild the wal-index under it, and its
    connections die of a bus error."""
    path = tmp_path / "shared.sqlite3"
    with EmulatorProcess(f"sqlite:///{path}") as server:
        for _ in range(3):  # answered, then from the render cache: the version is read
            assert httpx.get(server.base_url + BASE, headers=AUTH).status_code == 200
        assert _holder_of_wal_index_lock(f"{path}-shm") == server.process.pid
        other = sqlite3.connect(path)  # another process's connection, as `seed` or a worker's
        other.execute("SELECT count(*) FROM sqlite_master").fetchone()
        created = httpx.post(server.base_url + BASE, headers=AUTH, json=ADDRESS)
        assert created.status_code == 201
        other.close()
        uuid = created.json()["result"]["uuid"]
        assert httpx.get(f"{server.base_url}{BASE}/{uuid}", headers=AUTH).status_code == 200
