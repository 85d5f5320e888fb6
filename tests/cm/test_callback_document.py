"""The status callback described in cm.json (OpenAPI ``callbacks`` on Create Number Request) is the
one the emulator POSTs: same URL, headers, media type and body shape, for every status."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from tests.cm.conftest import advance, create

CREATE = "/voice-phonenumberrequestapi/v1/{accountGuid}/numberrequests"


def test_every_status_callback_is_the_documented_one(cm, callback_receiver):
    document = cm.get("/cm/openapi.json").json()
    callbacks = document["paths"][CREATE]["post"]["callbacks"]
    assert list(callbacks) == ["numberRequestStatusChanged"]
    [(expression, path_item)] = callbacks["numberRequestStatusChanged"].items()
    assert expression == "{$request.body#/callbackUrl}"
    operation = path_item["post"]
    [(media_type, content)] = operation["requestBody"]["content"].items()
    body_schema = Draft202012Validator({"components": document["components"], **content["schema"]})
    properties = document["components"]["schemas"]["NumberRequestOut"]["properties"]

    pending = create(cm, quantity=50, areaCode="0113", callbackUrl=callback_receiver.url + "/callbacks")
    rejected = create(cm, quantity=1, areaCode="0999", callbackUrl=callback_receiver.url + "/callbacks")
    advance(cm, 86400)
    statuses = {(body["requestId"], body["status"]) for body in callback_receiver.received_json()}
    assert statuses == {
        (pending["requestId"], "Accepted"),
        (pending["requestId"], "Completed"),
        (rejected["requestId"], "Rejected"),
    }

    for request in callback_receiver.requests:
        assert request.path == "/callbacks"  # the order's callbackUrl
        assert request.headers["Content-Type"].split(";")[0] == media_type
        for parameter in operation["parameters"]:
            assert parameter["in"] == "header" and parameter["required"]
            assert request.headers[parameter["name"]].isdigit()
        body = json.loads(request.body)
        assert list(body) == list(properties)
        assert list(body_schema.iter_errors(body)) == []
