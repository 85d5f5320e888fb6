"""What CloudLX answers the conformance suite: tenants present an OAuth2 token, got from their client
credentials."""

from fastapi.testclient import TestClient

from emulator.core.provider import TenantCredentials
from tests.conformance import Call, Conformance, Refusal


def bearer(client: TestClient, credentials: TenantCredentials) -> dict[str, str]:
    issued = client.post("/cloudlx/api/oauth2/access-token", data=credentials.fields)
    assert issued.status_code == 200, issued.text
    return {"Accept": "application/vnd.cloudlx.v1+json", "Authorization": f"Bearer {issued.json()['access_token']}"}


CONFORMANCE = Conformance(
    read=Call("GET", "/api/numbers"),
    change=Call("DELETE", "/api/number/7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f"),
    wrong_method=Call("PATCH", "/api/numbers"),
    unreadable_body=Refusal(
        Call("POST", "/api/numbers/reserve", content=b"{"),
        400,
        '{"message":"The request body could not be read: Expecting property name enclosed in double quotes at '
        'line 1 column 2.","status_code":400}',
    ),
    invalid_body=Refusal(
        Call("POST", "/api/numbers/reserve", json={"numbers": "x"}),
        422,
        '{"message":"422 Unprocessable Entity","errors":{"number_uuids":["The number uuids field is required."]},'
        '"status_code":422}',
    ),
    seeded='"uuid":"7c327e0f-6bce-4b2f-9d5d-9c86e7fa065f"',
    authenticate=bearer,
)
