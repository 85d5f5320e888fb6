"""What Telcom (moonrope) answers the conformance suite: errors inside an action are HTTP 200."""

from tests.conformance import Call, Conformance, Refusal

CONFORMANCE = Conformance(
    read=Call("POST", "/api/v2/numbers/list"),
    change=Call("POST", "/api/v2/numbers/save", json={"id": 3466, "recording_enabled": True}),
    wrong_method=Call("TRACE", "/api/v2/numbers/list"),
    unreadable_body=Refusal(
        Call("POST", "/api/v2/numbers/list", content=b"{"),
        400,
        '{"status":"invalid-json","details":"Expecting property name enclosed in double quotes at line 1 column 2"}',
    ),
    invalid_body=Refusal(
        Call("POST", "/api/v2/numbers/save", json={"number": "x"}),
        200,
        '{"status":"validation-error","time":null,"flags":{},"data":{"errors":["Number is invalid",'
        '"Context is not included in the list"]}}',
    ),
    seeded='"id":3466,"number":"03301222970"',
    varying=(r'(?<="time":)\d+(\.\d+)?',),
)
