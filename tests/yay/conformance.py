"""What Yay.com answers the conformance suite."""

from tests.conformance import Call, Conformance, Refusal

BAD_REQUEST = """{
   "result" : {},
   "status_code" : 400,
   "status_message" : "Bad Request"
}
"""
ADDRESS = {
    "city": "Leeds", "country_code": "GB", "country_personal_id": "N1", "forename": "Ann", "is_default": False,
    "name": "Ann", "nickname": "Home", "postcode": "LS1 1AA", "premises": "1", "state": "West Yorkshire",
    "street": "Park Row", "title": "Ms", "type_id": 1,
}  # fmt: skip

CONFORMANCE = Conformance(
    read=Call("GET", "/voip/number-address"),
    change=Call("POST", "/voip/number-address", json=ADDRESS),
    wrong_method=Call("PATCH", "/voip/number-address"),
    unreadable_body=Refusal(Call("POST", "/voip/number-address", content=b"{"), 400, BAD_REQUEST),
    invalid_body=Refusal(Call("POST", "/voip/number-address", json={"city": 7}), 400, BAD_REQUEST),
    seeded='"uuid" : "31347d42-00bd-44a5-9b5c-20dc4197a2f6"',
)
