"""Bulk generation for the seed command: realistic, deterministic under a seed."""

from __future__ import annotations

import phonenumbers
from sqlmodel import select

from emulator.providers.cm import PROVIDER, render
from emulator.providers.cm.models import NumberRequest


def generated(runtime, tenant: str, count: int, seed: int) -> list[dict]:
    with runtime.db.session() as session:
        assert PROVIDER.generate(session, tenant, count, seed, runtime) == count
        session.commit()
        rows = session.exec(
            select(NumberRequest).where(NumberRequest.tenant == tenant).order_by(NumberRequest.id)
        ).all()
        return [render.number_request(row) for row in rows]


def test_generation_is_deterministic_and_realistic(app):
    runtime = app.state.runtime
    first = generated(runtime, "tenant-a", 200, seed=7)
    assert first == generated(runtime, "tenant-b", 200, seed=7)
    assert first != generated(runtime, "tenant-c", 200, seed=8)
    assert {request["status"] for request in first} == {"Pending", "Accepted", "Completed", "Rejected", "Cancelled"}
    for request in first:
        assert len(request["numbers"]) == (request["quantity"] if request["status"] == "Completed" else 0)
        assert (request["statusReason"] is not None) == (request["status"] == "Rejected")
        for number in request["numbers"]:
            parsed = phonenumbers.parse(number)
            assert phonenumbers.region_code_for_number(parsed) == request["country"]
