"""Two emulator processes on one database: resets and clock moves in one reach the other."""

from __future__ import annotations

from fastapi.testclient import TestClient

from emulator.app import create_app

AUTH = {"X-Auth-Reseller": "shared", "X-Auth-User": "user", "X-Auth-Password": "secret"}
DOCUMENTED = "/yay/voip/number-address/31347d42-00bd-44a5-9b5c-20dc4197a2f6"


def test_a_reset_in_one_process_reseeds_the_tenant_in_another(settings):
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        assert second.delete(DOCUMENTED, headers=AUTH).status_code == 200
        assert first.get(DOCUMENTED, headers=AUTH).status_code == 404
        assert first.post("/_emulator/reset").status_code == 200
        second.app.state.runtime.background.run_due()  # the other process's next tick
        assert second.get(DOCUMENTED, headers=AUTH).status_code == 200


def test_a_clock_move_in_one_process_reaches_another(settings):
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        first.post("/_emulator/clock/set", json={"now": "2030-01-01T00:00:00Z"})
        first.post("/_emulator/clock/freeze")
        second.app.state.runtime.background.run_due()
        frozen_at = first.app.state.runtime.clock.now()
        assert frozen_at.year == 2030
        assert second.app.state.runtime.clock.now() == frozen_at
