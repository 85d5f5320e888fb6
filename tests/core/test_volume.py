"""``emulator.core.volume``: generated UUIDs are version-4 UUIDs as ``uuid`` writes them, distinct,
and the same under the same seed."""

from __future__ import annotations

import random
import uuid

from emulator.core import volume


def test_uuid4s_are_distinct_version_4_uuids_as_uuid_writes_them():
    made = volume.uuid4s(random.Random(5), 5000)
    assert len(set(made)) == 5000
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    # Every variant digit and every other digit turns up.
    assert {text[19] for text in made} == set("89ab")
    assert {text[0] for text in made} == set("0123456789abcdef")


def test_uuid4s_follow_the_seed():
    assert volume.uuid4s(random.Random(1), 300) == volume.uuid4s(random.Random(1), 300)
    assert volume.uuid4s(random.Random(1), 300) != volume.uuid4s(random.Random(2), 300)
    assert volume.uuid4s(random.Random(1), 0) == []
    assert volume.ordered_uuid4s(random.Random(1), 300) == sorted(volume.uuid4s(random.Random(1), 300))


def test_a_load_runs_without_the_cyclic_collector_and_gives_it_back():
    import gc

    assert gc.isenabled()
    with volume.without_cyclic_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with volume.without_cyclic_collection():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
