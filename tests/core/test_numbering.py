"""emulator.core.numbering against the real phonenumbers data (no mocks)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import phonenumbers as pn
import pytest

from emulator.core import numbering as N

ROOT = Path(__file__).resolve().parents[2]

TELCOM_DOCUMENTED = [
    {"description": "Aberdeen (01224)", "prefix": "01224"},
    {"description": "Aberfeldy (01887)", "prefix": "01887"},
    {"description": "Abergavenny (01873)", "prefix": "01873"},
    {"description": "Aberystwyth (01970)", "prefix": "01970"},
]


def national_digits(number: str, region: str) -> str:
    parsed = pn.parse(number, region)
    return re.sub(r"\D", "", pn.format_number(parsed, pn.PhoneNumberFormat.NATIONAL))


# --- area codes ------------------------------------------------------------------------------


def test_documented_telcom_entries_come_first() -> None:
    entries = [{"description": a.description, "prefix": a.national_prefix} for a in N.area_codes("GB")]
    assert entries[:4] == TELCOM_DOCUMENTED


def test_area_codes_sorted_by_name_then_code() -> None:
    codes = N.area_codes("GB")
    assert len(codes) > 550  # Ofcom has ~610 geographic codes
    assert list(codes) == sorted(codes, key=lambda a: (a.name.casefold(), a.name, a.code))
    assert len({a.code for a in codes}) == len(codes)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("20", "London"),
        ("121", "Birmingham"),
        ("1224", "Aberdeen"),
        ("15394", "Hawkshead"),
        ("1387", "Dumfries"),
        ("13873", "Langholm"),
        ("16977", "Brampton"),
    ],
)
def test_uk_area_code_lengths(code: str, name: str) -> None:
    area = N.area_code("GB", code)
    assert area is not None and area.name == name
    assert area.national_prefix == "0" + code


def test_every_area_code_matches_phonenumbers_area_code_length() -> None:
    # Numbers under a 4-digit code may fall in a 5-digit one inside it (01524 Lancaster, 015242 Hornby).
    for area in N.area_codes("GB"):
        for number in N.candidate_numbers(area.national_prefix, "len-check", 3):
            found = N.area_code_for_prefix(number)
            assert found is not None and found.code.startswith(area.code), number
            assert pn.length_of_geographical_area_code(pn.parse(number, "GB")) == len(found.code), number


def test_area_code_for_prefix_takes_longest_match() -> None:
    assert N.area_code_for_prefix("01224").name == "Aberdeen"
    assert N.area_code_for_prefix("01224069352").code == "1224"
    assert N.area_code_for_prefix("01697312345").name == "Wigton"
    assert N.area_code_for_prefix("0121 496 0000").name == "Birmingham"
    assert N.area_code_for_prefix("0122") is None


def test_ambiguous_area_codes_are_left_out_but_still_described() -> None:
    assert N.area_code("GB", "23") is None  # Southampton and Portsmouth share 023
    info = N.describe("+442380123456")
    assert (info.range_code, info.range_name) == ("23", "Southampton")


def test_crown_dependencies_are_not_gb() -> None:
    assert N.area_code("GB", "1481") is None
    assert N.area_code("GG", "1481").name == "Guernsey"


def test_the_area_code_index_kept_on_disk_is_the_one_resolved(tmp_path, monkeypatch) -> None:
    """The index is resolved once and read back from the cache by later processes: the same
    codes, names and order, and no resolving the second time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    resolved = N._resolved_geo_index(44)
    N._geo_index.cache_clear()
    try:
        assert json.dumps(N._geo_index(44)) == json.dumps(resolved)
        (kept,) = (tmp_path / "number-emulator").glob("geo-index-44-*.json")
        N._geo_index.cache_clear()
        monkeypatch.setattr(N, "_resolved_geo_index", lambda _: pytest.fail("resolved again"))
        assert json.dumps(N._geo_index(44)) == json.dumps(resolved) == kept.read_text(encoding="utf-8")
    finally:
        N._geo_index.cache_clear()


# --- candidate numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "region"),
    [("01224", "GB"), ("020", "GB"), ("016977", "GB"), ("0800", "GB"), ("07400", "GB"), ("020", "NL"), ("415", "US")],
)
def test_candidate_numbers_are_valid_distinct_and_national(prefix: str, region: str) -> None:
    numbers = N.candidate_numbers(prefix, 42, 50, region)
    assert len(numbers) == len(set(numbers)) == 50
    for number in numbers:
        assert number.startswith(prefix)
        assert pn.is_valid_number_for_region(pn.parse(number, region), region), number
        assert national_digits(number, region) == number


@pytest.mark.parametrize("region", ["GB", "NL", "BE", "US", "DE", "IT", "CA", "AU"])
def test_the_type_rule_gives_phonenumbers_own_answer(region: str) -> None:
    """The compiled rule the draws use decides every type as phonenumbers does: random national
    numbers of every possible length, and numbers under each type's own prefixes (every branch)."""
    from phonenumbers.phonenumberutil import _number_type_helper

    metadata = pn.PhoneMetadata.metadata_for_region(region)
    rng = random.Random(f"type-rule|{region}")
    lengths = list(metadata.general_desc.possible_length)
    # Geographic area codes take seconds to index in some regions: their example numbers will do.
    examples = (
        pn.example_number_for_type(region, kind) for kind in (pn.PhoneNumberType.FIXED_LINE, pn.PhoneNumberType.MOBILE)
    )
    prefixes = ["", *(pn.national_significant_number(example)[:3] for example in examples if example is not None)] + [
        prefix.removeprefix(N._trunk_prefix(region))
        for service_type in N.DRAWABLE_TYPES
        if service_type != N.GEOGRAPHIC
        for prefix in N.service_type_prefixes(service_type, region)[:5]
    ]
    numbers = [
        prefix + str(rng.randrange(10**rest)).zfill(rest)
        for prefix in prefixes
        for _ in range(300)
        if (rest := rng.choice(lengths) + rng.choice((-1, 0, 0, 0)) - len(prefix)) > 0
    ]
    types_of = N._type_rule(region)
    assert [types_of(nsn) for nsn in numbers] == [_number_type_helper(nsn, metadata) for nsn in numbers]
    assert len({_number_type_helper(nsn, metadata) for nsn in numbers}) >= 3


def test_candidate_numbers_look_like_the_docs() -> None:
    [number] = N.candidate_numbers("01234", 1, 1)
    assert re.fullmatch(r"01234\d{6}", number)


def test_candidate_numbers_are_deterministic() -> None:
    first = N.candidate_numbers("01224", "tenant-1", 20)
    assert N.candidate_numbers("01224", "tenant-1", 20) == first
    assert N.candidate_numbers("01224", "tenant-1", 5) == first[:5]
    assert N.candidate_numbers("01224", "tenant-2", 20) != first
    assert N.candidate_numbers("01224", 1, 20) != N.candidate_numbers("01224", "1", 20)
    assert N.candidate_numbers("1224", "tenant-1", 20) == first  # trunk prefix optional


def test_candidate_numbers_do_not_depend_on_hash_seed() -> None:
    code = (
        "import json; from emulator.core import numbering as N; print(json.dumps("
        "[N.candidate_numbers(p, s, 10) for p in ('01224', '0800') for s in (7, 'x')]))"
    )
    here = [N.candidate_numbers(p, s, 10) for p in ("01224", "0800") for s in (7, "x")]
    for hash_seed in ("1", "987"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert json.loads(out) == here


def test_candidate_numbers_filtered_by_service_type() -> None:
    numbers = N.candidate_numbers("07", 3, 30, service_type=N.MOBILE)
    assert len(numbers) == 30
    assert {N.describe(n).service_type for n in numbers} == {N.MOBILE}


def test_candidate_numbers_are_fast() -> None:
    prefixes = [a.national_prefix for a in N.area_codes("GB")][:200]
    N.candidate_numbers(prefixes[0], 0, 1)  # warm caches
    start = time.perf_counter()
    total = sum(len(N.candidate_numbers(p, "speed", 100)) for p in prefixes)
    assert total == 20_000
    assert time.perf_counter() - start < 10  # ~0.4 s on a laptop; generous for CI


# --- service types ------------------------------------------------------------------------------


def test_service_type_prefixes_gb() -> None:
    assert N.service_type_prefixes(N.TOLL_FREE) == ("0800", "0808")
    mobile = N.service_type_prefixes(N.MOBILE)
    assert "07400" in mobile and all(re.fullmatch(r"07\d{3}", p) for p in mobile)
    premium = N.service_type_prefixes(N.PREMIUM)
    assert {"0900", "0901", "0909"} <= set(premium) and all(p[:2] in ("08", "09") for p in premium)
    geographic = N.service_type_prefixes(N.GEOGRAPHIC)
    assert {"01224", "020", "0121"} <= set(geographic) and not any(p.startswith("07") for p in geographic)
    with pytest.raises(ValueError):
        N.service_type_prefixes("SATELLITE")


@pytest.mark.parametrize("service_type", [N.GEOGRAPHIC, N.TOLL_FREE, N.PREMIUM, N.MOBILE])
def test_numbers_drawn_from_service_type_prefixes_have_that_type(service_type: str) -> None:
    prefixes = N.service_type_prefixes(service_type)
    for prefix in prefixes[:: max(1, len(prefixes) // 15)]:
        for number in N.candidate_numbers(prefix, "type", 3, service_type=service_type):
            assert N.describe(number).service_type == service_type, number


def test_service_type_prefixes_other_countries() -> None:
    assert N.service_type_prefixes(N.TOLL_FREE, "US") == ("800", "833", "844", "855", "866", "877", "888")
    assert N.service_type_prefixes(N.TOLL_FREE, "NL") == ("0800",)
    assert "06" in N.service_type_prefixes(N.MOBILE, "NL")


# --- describe ----------------------------------------------------------------------------------


def test_describe_cloudlx_example() -> None:
    info = N.describe("+441245123456")
    assert info.e164 == "+441245123456"
    assert (info.range_code, info.subscriber, info.range_name) == ("1245", "123456", "Chelmsford")
    assert (info.country_code, info.region, info.country_name) == (44, "GB", "United Kingdom")
    assert info.service_type == N.GEOGRAPHIC
    assert info.national_format == "01245123456"
    assert N.describe("01245 123456") == info


@pytest.mark.parametrize(
    ("number", "service_type", "range_code", "range_name"),
    [
        ("08001234567", N.TOLL_FREE, "800", "Freephone"),
        ("07400123456", N.MOBILE, "7400", "Mobile"),
        ("09012345678", N.PREMIUM, "901", "Premium Rate"),
        ("02071234567", N.GEOGRAPHIC, "20", "London"),
        ("01697712345", N.GEOGRAPHIC, "16977", "Brampton"),
        ("03001234567", N.OTHER, "300", "Non-geographic"),
    ],
)
def test_describe_types(number: str, service_type: str, range_code: str, range_name: str) -> None:
    info = N.describe(number)
    assert (info.service_type, info.range_code, info.range_name) == (service_type, range_code, range_name)
    assert info.range_code + info.subscriber == info.national_number


def test_describe_other_countries() -> None:
    nl = N.describe("+31201234567")
    assert (nl.region, nl.range_code, nl.range_name, nl.country_name) == ("NL", "20", "Amsterdam", "Netherlands")
    us = N.describe("(212) 555-0100", "US")
    assert (us.e164, us.range_code, us.country_name) == ("+12125550100", "212", "United States")


@pytest.mark.parametrize("number", ["", "not a number", "0123", "+4412"])
def test_describe_rejects_invalid(number: str) -> None:
    with pytest.raises(ValueError):
        N.describe(number)


def test_country_names() -> None:
    assert [N.country_name(r) for r in ("GB", "NL", "US", "CA")] == [
        "United Kingdom",
        "Netherlands",
        "United States",
        "Canada",
    ]


# --- CM.com locale data ------------------------------------------------------------------------


def test_netherlands_area_codes() -> None:
    amsterdam = N.area_code("NL", "20")
    assert amsterdam is not None and amsterdam.name == "Amsterdam" and amsterdam.national_prefix == "020"
    assert N.area_code("NL", "10").name == "Rotterdam"
    assert N.area_code("NL", "6") is None  # mobile, not geographic


def test_nanpa_regions() -> None:
    us = N.nanpa_regions("US")
    assert {"CA", "NY", "TX", "AK", "HI"} <= set(us) and len(us) >= 50
    assert not {"ON", "QC", "BC"} & set(us)
    assert {"ON", "QC", "BC", "AB"} <= set(N.nanpa_regions("CA"))
    with pytest.raises(ValueError):
        N.nanpa_regions("GB")


def test_nanpa_area_codes() -> None:
    assert {"213", "415", "650"} <= set(N.nanpa_area_codes("CA"))
    assert "212" in N.nanpa_area_codes("NY")
    assert "416" in N.nanpa_area_codes("ON", "CA")
    assert "416" not in N.nanpa_area_codes("ON", "US")
    assert N.area_code("US", "212").national_prefix == "212"  # no trunk prefix in US national format


# --- cost ----------------------------------------------------------------------------------------


def test_import_does_not_load_geodata() -> None:
    code = "import sys, emulator.core.numbering; print('phonenumbers.geodata' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "False"


def test_the_big_geocoder_tables_never_enter_this_process():
    """phonenumbers' place and country names cost ~100 MB each once imported: only slices come in."""
    code = (
        "import sys\n"
        "from emulator.core import numbering\n"
        "numbering.area_codes('GB'); numbering.describe('+441245123456'); numbering.country_name('NL')\n"
        "assert numbering.describe('+441245123456').range_name == 'Chelmsford'\n"
        "assert numbering.country_name('NL') == 'Netherlands'\n"
        "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.geodata')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("region", ["GB", "NL", "US", "DE", "IT"])
def test_e164_of_candidate_numbers_matches_phonenumbers(region):
    prefix = N.service_type_prefixes(N.GEOGRAPHIC, region)[0] if region != "IT" else "06"
    for national in N.candidate_numbers(prefix, 1, 20, region):
        expected = pn.format_number(pn.parse(national, region), pn.PhoneNumberFormat.E164)
        assert N.e164(national, region) == expected


@pytest.mark.parametrize("region", ["GB", "US", "CA", "NL", "BE"])
def test_drawing_judges_numbers_as_phonenumbers_public_calls_do(region):
    """Drawing decides validity and type with phonenumbers' own type rule against the region's
    metadata; it must agree with ``is_valid_number_for_region`` and ``number_type`` everywhere."""
    rng = random.Random(region)
    cc = pn.country_code_for_region(region)
    for want in [None, *N.DRAWABLE_TYPES.values()]:
        check = N._valid_of_type(region, want)
        for _ in range(3000):
            nsn = str(rng.randrange(10 ** rng.choice([7, 8, 9, 10])))
            num = N._number(cc, nsn)
            public = pn.is_valid_number_for_region(num, region) and (want is None or N._is_type(num, want))
            assert check(nsn) == public, (region, want, nsn)


def test_block_numbers_are_distinct_valid_numbers_of_the_type_under_the_prefix() -> None:
    for prefix, service_type in (("01224", N.GEOGRAPHIC), ("07400", N.MOBILE)):
        drawn = N.block_numbers(prefix, 3, 2000, "GB", service_type)
        assert len(drawn) == len(set(drawn)) == 2000
        assert drawn == N.block_numbers(prefix, 3, 2000, "GB", service_type)
        for national in drawn:
            parsed = pn.parse(national, "GB")
            assert national.startswith(prefix) and pn.is_valid_number(parsed), national
