"""What CM.com answers the conformance suite: ASP.NET Core problem details, each with a fresh trace id."""

from tests.conformance import Call, Conformance, Refusal

REQUESTS = "/voice-phonenumberrequestapi/v1/00000000-0000-0000-0000-000000000000/numberrequests"
PROBLEM = '{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,'

CONFORMANCE = Conformance(
    read=Call("GET", REQUESTS),
    change=Call("POST", REQUESTS, json={"quantity": 1, "areaCode": "020"}),
    wrong_method=Call("PATCH", REQUESTS),
    unreadable_body=Refusal(
        Call("POST", REQUESTS, content=b"{"),
        400,
        PROBLEM + '"errors":{"$":["The JSON value is invalid: Expecting property name enclosed in double quotes at '
        'line 1 column 2."]},"traceId":"…"}',
    ),
    invalid_body=Refusal(
        Call("POST", REQUESTS, json={"quantity": "many"}),
        400,
        PROBLEM + '"errors":{"$.quantity":["The JSON value could not be converted to System.Int32. Path: '
        '$.quantity."]},"traceId":"…"}',
    ),
    seeded='"requestId":"3b9a6a3e-8c4f-4a8e-9a51-0c1d2e3f4a5b"',
    varying=(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00",),
)
