"""Every example of Telcom's documentation, replayed against the default fixtures, compared as the
literal text it is (only the measured ``time`` differs, and is set to the documented value)."""

from __future__ import annotations

import pytest

from tests.telcom.support import call, freeze_clock, with_time

pytestmark = pytest.mark.each_backend

SUBSCRIBER_UNKNOWN = (
    '"subscriber":{"first_name":null,"name":null,"address1":null,"address2":null,"address3":null,'
    '"address4":null,"postcode":null,"pushed_at":null,"status":"unknown"}'
)
NUMBER_3466 = (
    '{"id":3466,"number":"03301222970","context":"incoming","created_at":"2015-05-05T14:43:36.000Z",'
    '"updated_at":"2015-10-05T14:05:45.000Z","recording_enabled":false,"caller_id_prefix":"",'
    '"callerid_passthrough":true,"forward_sip_to":null,"aquisition":{"acquired_at":"2015-05-05T14:43:00.000Z",'
    + SUBSCRIBER_UNKNOWN
    + '},"destination":{"type":"Menu","object":{"id":262,"name":"Main Menu"}}}'
)
LIST = '{"status":"success","time":0.01,"flags":{},"data":[' + NUMBER_3466 + "]}"
INFO = '{"status":"success","time":0.01,"flags":{},"data":' + NUMBER_3466 + "}"
SAVE = (
    '{"status":"success","time":0.23,"flags":{},"data":{"id":3466,"number":"03301222970","context":"incoming",'
    '"created_at":"2015-05-05T14:43:36.000Z","updated_at":"2015-10-08T11:14:26.295Z","recording_enabled":true,'
    '"caller_id_prefix":"","callerid_passthrough":true,"forward_sip_to":null,"aquisition":'
    '{"acquired_at":"2015-05-05T14:43:00.000Z",' + SUBSCRIBER_UNKNOWN + "},"
    '"destination":{"type":"Menu","object":{"id":262,"name":"Main Menu"}}}}'
)
# The documentation prints the first four of the list (the real one goes on alphabetically).
PREFIXES_HEAD = (
    '{"status":"success","time":0.01,"flags":{},"data":[{"description":"Aberdeen (01224)","prefix":"01224"},'
    '{"description":"Aberfeldy (01887)","prefix":"01887"},{"description":"Abergavenny (01873)","prefix":"01873"},'
    '{"description":"Aberystwyth (01970)","prefix":"01970"}'
)
ACQUIRABLE = (
    '{"status":"success","time":0.21,"flags":{},"data":["01234069352","01234901381","01234901364","01234069371",'
    '"01234901431","01234069448","01234375392","01234069303","01234375079","01234069473"]}'
)
ACQUIRE = (
    '{"status":"success","time":0.47,"flags":{},"data":{"id":4243,"number":"01234901769","context":"incoming",'
    '"created_at":"2015-10-08T12:00:16.109Z","updated_at":"2015-10-08T12:00:16.109Z","recording_enabled":true,'
    '"caller_id_prefix":null,"callerid_passthrough":true,"forward_sip_to":null,"aquisition":'
    '{"acquired_at":"2015-10-08T12:00:16.102Z",' + SUBSCRIBER_UNKNOWN + "}}}"
)
UPDATE_SUBSCRIBER = (
    '{"status":"success","time":0.35,"flags":{},"data":{"id":4243,"number":"01234901769","context":"incoming",'
    '"created_at":"2015-10-08T12:00:16.000Z","updated_at":"2015-10-08T13:16:03.880Z","recording_enabled":true,'
    '"caller_id_prefix":null,"callerid_passthrough":true,"forward_sip_to":null,"aquisition":'
    '{"acquired_at":"2015-10-08T12:00:16.000Z","subscriber":{"first_name":"Alex","name":"Telcom",'
    '"address1":"24/26 Lever Street","address2":null,"address3":null,"address4":"Manchester","postcode":"M1 1DZ",'
    '"pushed_at":null,"status":"validation_pending"}},"destination":null}}'
)
DELETE = '{"status":"success","time":1.1,"flags":{},"data":true}'
ACCESS_NUMBERS = (
    '{"status":"success","time":0.0,"flags":{},"data":[{"number":"*55","description":"Access your main voicemail '
    "menu. If your extension you are dialling from matches a mailbox ID, you will be automatically logged into your "
    'mailbox using this option."},{"number":"*56","description":"Access your main voicemail menu, you will be required '
    'to login using your mailbox ID and password at all times."},{"number":"*10","description":"Plays back your current '
    'internal caller ID."},{"number":"*50","description":"Plays the current music on hold."},{"number":"*30*{number}",'
    '"description":"Page an extension or call group. If enabled, the call will automatically be answered."},'
    '{"number":"*31*{number}","description":"Withhold your number. Your caller ID will not be displayed to callers when '
    'using this prefix."},{"number":"*32*{number}","description":"Send your number if your account is set to withhold '
    'caller ID by default."},{"number":"*21*{number}","description":"Sets up call forwarding for the extension you are '
    "dialling from - {number} should be replaced with the number you wish to forward to as if dialled from your "
    'extension."},{"number":"*21","description":"Cancels call forwarding"},{"number":"*22","description":"Plays back '
    'your current call forwarding destination (if any)"},{"number":"*8","description":"Picks up another ringing phone '
    'within a pickup group"},{"number":"*01","description":"Run an echo test"}]}'
)


def test_list(client):
    response = call(client, "numbers/list")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert with_time(response.text, 0.01) == LIST


def test_info(client):
    assert with_time(call(client, "numbers/info", {"id": 3466}).text, 0.01) == INFO


def test_save_update(client):
    freeze_clock(client, "2015-10-08T11:14:26.295Z")
    response = call(client, "numbers/save", {"id": 3466, "recording_enabled": True})
    assert with_time(response.text, 0.23) == SAVE
    # The platform keeps whole seconds: read back, the update time has lost its milliseconds.
    stored = call(client, "numbers/info", {"id": 3466}).json()["data"]
    assert stored["updated_at"] == "2015-10-08T11:14:26.000Z" and stored["recording_enabled"] is True


def test_available_prefixes_start_with_the_documented_four(client):
    text = call(client, "numbers/available_prefixes").text
    assert with_time(text, 0.01).startswith(PREFIXES_HEAD + ",{")
    assert text.endswith("}]}")


def test_acquirable_numbers(client):
    assert with_time(call(client, "numbers/acquirable_numbers", {"prefix": "01234"}).text, 0.21) == ACQUIRABLE


def test_acquire_then_update_subscriber_then_delete(client):
    freeze_clock(client, "2015-10-08T12:00:16.109Z")
    acquired = call(client, "numbers/acquire", {"number": "01234901769"})
    # The documentation's acquisition instant is 7 ms before the record's creation (the real
    # platform's own handling time); under a frozen clock both are the same instant.
    assert with_time(acquired.text, 0.47) == ACQUIRE.replace("12:00:16.102Z", "12:00:16.109Z")

    freeze_clock(client, "2015-10-08T13:16:03.880Z")
    subscriber = {
        "id": 4243,
        "first_name": "Alex",
        "name": "Telcom",
        "address1": "24/26 Lever Street",
        "address4": "Manchester",
        "postcode": "M1 1DZ",
    }
    assert with_time(call(client, "numbers/update_subscriber", subscriber).text, 0.35) == UPDATE_SUBSCRIBER

    assert with_time(call(client, "numbers/delete", {"id": 4243}).text, 1.1) == DELETE


def test_available_access_numbers(client):
    assert with_time(call(client, "numbers/available_access_numbers").text, 0.0) == ACCESS_NUMBERS
