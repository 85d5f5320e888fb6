"""Real phone-number data (area codes, place names, number ranges) from ``phonenumbers``.

Place names come from ``phonenumbers.geodata.GEOCODE_DATA``: one flat dict for
all countries, keyed by "country code + national digits" prefixes, e.g.
``"441224" -> {"en": "Aberdeen"}``. Importing it costs ~0.35 s and ~95 MB
(China, Australia and NANPA make up most of its ~290k entries), so this process
never imports it: a child process reads the slice needed (see ``_geocoder_slice``),
and every table is built on first use and cached.

Area-code lengths are not guessed: each geodata prefix is resolved through a
valid example number and ``phonenumbers.length_of_geographical_area_code``
(UK codes are 2-5 digits after the trunk 0: 020, 0121, 01224, 015394).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import phonenumbers as pn
from phonenumbers import PhoneNumberType as PNT

GEOGRAPHIC = "GEOGRAPHIC"
TOLL_FREE = "TOLL FREE"
PREMIUM = "PREMIUM"
MOBILE = "MOBILE"
OTHER = "OTHER"

SERVICE_TYPES: dict[str, int] = {
    GEOGRAPHIC: PNT.FIXED_LINE,
    TOLL_FREE: PNT.TOLL_FREE,
    PREMIUM: PNT.PREMIUM_RATE,
    MOBILE: PNT.MOBILE,
}
# Types that numbers can be drawn from (service_type_prefixes, candidate_numbers) although
# describe() keeps naming them OTHER: national-rate "UAN" ranges such as GB 03 and NL 088.
NATIONAL = "NATIONAL"
DRAWABLE_TYPES: dict[str, int] = {**SERVICE_TYPES, NATIONAL: PNT.UAN}
# Name for a range that has no place name (the geocoder only names geographic ranges).
_TYPE_RANGE_NAMES = {
    TOLL_FREE: "Freephone",
    PREMIUM: "Premium Rate",
    MOBILE: "Mobile",
    OTHER: "Non-geographic",
}
# Metadata attribute holding the number pattern for each PhoneNumberType.
_TYPE_DESC = {
    PNT.FIXED_LINE: "fixed_line",
    PNT.TOLL_FREE: "toll_free",
    PNT.PREMIUM_RATE: "premium_rate",
    PNT.MOBILE: "mobile",
    PNT.UAN: "uan",
}


@dataclass(frozen=True)
class AreaCode:
    """A geographic area code, e.g. GB 1224 Aberdeen."""

    region: str  # "GB"
    country_code: int  # 44
    code: str  # "1224": national significant digits, no trunk prefix
    name: str  # "Aberdeen"

    @property
    def national_prefix(self) -> str:
        """The code as dialled nationally, e.g. "01224" (GB) or "201" (US: no trunk prefix)."""
        return _trunk_prefix(self.region) + self.code

    @property
    def description(self) -> str:
        """ "Aberdeen (01224)"."""
        return f"{self.name} ({self.national_prefix})"


@dataclass(frozen=True)
class NumberInfo:
    """What :func:`describe` knows about a number."""

    e164: str  # "+441245123456"
    country_code: int  # 44
    region: str  # "GB"
    national_number: str  # "1245123456" (national significant number)
    range_code: str  # "1245": area code, or national destination code for non-geographic numbers
    subscriber: str  # "123456": the rest after range_code
    range_name: str  # "Chelmsford", or a type name such as "Freephone" / "Mobile"
    service_type: str  # GEOGRAPHIC / TOLL FREE / PREMIUM / MOBILE / OTHER
    country_name: str  # "United Kingdom"

    @property
    def national_format(self) -> str:
        """National digits without spaces, e.g. "01245123456"."""
        return _trunk_prefix(self.region) + self.national_number


# --- helpers ---------------------------------------------------------------------------


def _metadata(region: str) -> pn.PhoneMetadata:
    md = pn.PhoneMetadata.metadata_for_region(region.upper())
    if md is None:
        raise ValueError(f"unknown region {region!r}")
    return md


def _possible_lengths(region: str) -> list[int]:
    general = _metadata(region).general_desc
    return list(general.possible_length) if general is not None else []


def _region_of(num: pn.PhoneNumber) -> str:
    """The region of a valid number (every valid number has one)."""
    region = pn.region_code_for_number(num)
    if region is None:
        raise ValueError(f"no region for {num}")
    return region


@cache
def _trunk_prefix(region: str) -> str:
    """Digits the national format puts before the NSN ("0" for GB/NL, "" for US), read off the
    formatted example number: metadata.national_prefix won't do (the US has "1" but doesn't show it)."""
    example = pn.example_number(region)
    if example is None:
        return ""
    nsn = pn.national_significant_number(example)
    national = re.sub(r"\D", "", pn.format_number(example, pn.PhoneNumberFormat.NATIONAL))
    return national[: -len(nsn)] if national.endswith(nsn) else ""


def _nsn_prefix(prefix: str, region: str) -> str:
    """National prefix ("01224") -> national significant digits ("1224")."""
    digits = re.sub(r"\D", "", prefix)
    trunk = _trunk_prefix(region)
    return digits[len(trunk) :] if trunk and digits.startswith(trunk) else digits


def _number(country_code: int, nsn: str) -> pn.PhoneNumber:
    # Building the object directly is ~25x cheaper than pn.parse; leading zeros need flagging (e.g. IT).
    zeros = len(nsn) - len(nsn.lstrip("0"))
    return pn.PhoneNumber(
        country_code=country_code,
        national_number=int(nsn),
        italian_leading_zero=zeros > 0 or None,
        number_of_leading_zeros=zeros or None,
    )


def _is_type(num: pn.PhoneNumber, pnt: int) -> bool:
    t = pn.number_type(num)
    # NANPA numbers can't be told apart: FIXED_LINE_OR_MOBILE counts as both.
    return t == pnt or (t == PNT.FIXED_LINE_OR_MOBILE and pnt in (PNT.FIXED_LINE, PNT.MOBILE))


def _service_type(num: pn.PhoneNumber) -> str:
    return next((name for name, pnt in SERVICE_TYPES.items() if _is_type(num, pnt)), OTHER)


# --- the geocoder's data, kept out of this process ----------------------------------------------

# phonenumbers keeps every country's place names in one module that costs ~100 MB once imported
# (and its country names in another of the same size). A short-lived child process reads just the
# slice asked for; the slice is cached on disk per phonenumbers version, so this happens once.
_SLICE_SCRIPT = """
import json, sys
kind, arg = sys.argv[1], sys.argv[2]
if kind == "places":
    from phonenumbers.geodata import GEOCODE_DATA
    names = {k[len(arg):]: v["en"] for k, v in GEOCODE_DATA.items() if k.startswith(arg) and "en" in v}
else:
    from phonenumbers.geodata.locale import LOCALE_DATA
    names = {}
    for region, by_language in LOCALE_DATA.items():
        name = by_language.get("en", "")
        if name.startswith("*"):  # "*aa": the name is held under that other language
            name = by_language.get(name[1:], "")
        names[region] = name
json.dump(names, sys.stdout)
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "number-emulator"


def _on_disk(name: str, make: Callable[[], Any]) -> Any:
    """What ``make`` answers (JSON data), cached on disk per phonenumbers version under ``name``:
    made once, read by every later process."""
    cache = _cache_dir() / f"{name}-phonenumbers-{pn.__version__}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    made = make()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(made), encoding="utf-8")
        partial.replace(cache)  # atomic: concurrent processes never read half a file
    except OSError:
        pass  # a read-only home only costs the work again next time
    return made


def _geocoder_slice(kind: str, arg: str) -> dict[str, str]:
    def read() -> dict[str, str]:
        command = [sys.executable, "-c", _SLICE_SCRIPT, kind, arg]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    return _on_disk(f"{kind}-{arg}", read)


@cache
def _place_names(country_code: int) -> dict[str, str]:
    """{national prefix: English place name} for one country code ("1224" -> "Aberdeen" for 44)."""
    return _geocoder_slice("places", str(country_code))


def place_names(region: str = "GB") -> list[str]:
    """Every place name the geodata holds under the region's country code, distinct and sorted,
    without the cost of resolving area codes (``area_codes``)."""
    return sorted(set(_place_names(pn.country_code_for_region(region.upper())).values()))


@cache
def _country_names() -> dict[str, str]:
    return _geocoder_slice("countries", "en")


def _place_name(country_code: int, nsn: str) -> str | None:
    """The geocoder's description: the name of the longest prefix of the number that has one."""
    names = _place_names(country_code)
    return next((names[nsn[:i]] for i in range(len(nsn), 0, -1) if nsn[:i] in names), None)


# --- geographic area codes -----------------------------------------------------------------


@cache
def _geo_index(country_code: int) -> dict[str, dict[str, dict[str, str]]]:
    """{region: {area code: {geodata prefix: name}}} for one country code.

    Built per country code because +1 (NANPA) and +44 (GB, GG, JE, IM) span several regions.
    Resolving every prefix through phonenumbers takes up to a second a country code (NANPA, GB),
    so the index is kept on disk, under the digest of this module's source too: the same
    phonenumbers data and the same rules give the same index (its draws are seeded)."""
    return _on_disk(f"geo-index-{country_code}-{_SOURCE_DIGEST}", lambda: _resolved_geo_index(country_code))


_SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _resolved_geo_index(country_code: int) -> dict[str, dict[str, dict[str, str]]]:
    cc = str(country_code)
    names = _place_names(country_code)
    lengths = _possible_lengths(pn.region_code_for_country_code(country_code))
    rng = random.Random(f"geo|{cc}")
    index: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    inside: dict[str, tuple[str, str]] = {}  # prefix lying wholly inside one area code -> (region, code)

    def example(p: str, tries: int) -> pn.PhoneNumber | None:
        """A valid number starting with p whose longest geodata prefix is not longer than p."""
        for _ in range(tries):
            rest = rng.choice(lengths) - len(p)
            if rest <= 0:
                continue
            nsn = p + str(rng.randrange(10**rest)).zfill(rest)
            if any(nsn[:i] in names for i in range(len(p) + 1, len(nsn))):
                continue
            num = _number(country_code, nsn)
            if pn.is_valid_number(num):
                return num
        return None

    def resolve(key: str, p: str) -> None:
        outer = next((inside[p[:i]] for i in range(len(p) - 1, 0, -1) if p[:i] in inside), None)
        if outer:  # saves ~90% of the work for NANPA, whose 32k prefixes sit inside 3-digit codes
            index[outer[0]][outer[1]][key] = names[key]
            return
        # Few tries for probed sub-ranges: most hold no numbers at all (NANPA 2010..., 2011...).
        num = example(p, 40 if p == key else 10)
        length = pn.length_of_geographical_area_code(num) if num is not None else 0
        if num is None or not length:
            return
        if length > len(p):  # a short prefix can span several longer codes
            for d in "0123456789":
                if p + d not in names:
                    resolve(key, p + d)
            return
        region, code = _region_of(num), p[:length]
        index[region][code][key] = names[key]
        if length < len(p):
            inside[p] = (region, code)
        elif p == key:  # UK "mixed" areas: part of 01697 has its own 5-digit codes (016977 Brampton)
            for d in "0123456789":
                if p + d not in names:
                    resolve(key, p + d)

    for key in sorted(names, key=len):  # parents first, so `inside` can answer for their sub-ranges
        resolve(key, key)
    return {region: dict(codes) for region, codes in index.items()}


def _area_name(code: str, names: dict[str, str]) -> str | None:
    """The one name for an area code, or None when its sub-ranges name different places.

    Uses the code's own entry if there is one (GB 01388 "Bishop Auckland"), else the name all
    sub-ranges share, else the data's own combined label such as "Barrow-in-Furness/Millom"."""
    if code in names:
        return names[code]
    distinct = set(names.values())
    parts = {part for name in distinct for part in name.split("/")}
    return next((n for n in sorted(distinct) if set(n.split("/")) == parts), None)


@cache
def area_codes(region: str = "GB") -> tuple[AreaCode, ...]:
    """Geographic area codes of a region that have a single place name, sorted by name then code.

    Codes whose sub-ranges name different places (GB: 023 Southampton/Portsmouth, 028 Northern
    Ireland towns) are left out; :func:`describe` still names numbers in them."""
    region = region.upper()
    cc = pn.country_code_for_region(region)
    result = []
    for code, names in _geo_index(cc).get(region, {}).items():
        name = _area_name(code, names)
        if name:
            result.append(AreaCode(region, cc, code, name))
    return tuple(sorted(result, key=lambda a: (a.name.casefold(), a.name, a.code)))


@cache
def _area_by_code(region: str) -> dict[str, AreaCode]:
    return {a.code: a for a in area_codes(region)}


def area_code(region: str, code: str) -> AreaCode | None:
    """Area code by its national significant digits: area_code("GB", "1224") -> Aberdeen."""
    return _area_by_code(region.upper()).get(code)


def area_code_for_prefix(prefix: str, region: str = "GB") -> AreaCode | None:
    """The area code a national prefix or number starts with: "01224" / "01224069352" -> Aberdeen.

    Longest match wins (GB "016973..." is Wigton, not the shorter 01697)."""
    region = region.upper()
    digits = _nsn_prefix(prefix, region)
    by_code = _area_by_code(region)
    return next((by_code[digits[:i]] for i in range(len(digits), 0, -1) if digits[:i] in by_code), None)


_STATE_RE = re.compile(r", ([A-Z]{2})$")  # NANPA geodata: "San Francisco, CA"


@cache
def _nanpa_area_regions(region: str) -> dict[str, tuple[str, ...]]:
    """{area code: subdivisions ("CA", ...)} from the "City, ST" names of the code's sub-ranges.

    A code named only by a full state name ("New Jersey", no sub-ranges) gets the abbreviation
    the data most often pairs with that name elsewhere."""
    region = region.upper()
    if pn.country_code_for_region(region) != 1:
        raise ValueError(f"{region} is not a NANPA region")
    entries = _geo_index(1).get(region, {})
    abbrevs = {
        code: Counter(m.group(1) for n in names.values() if (m := _STATE_RE.search(n)))
        for code, names in entries.items()
    }
    by_full_name: dict[str, Counter[str]] = defaultdict(Counter)
    for code, names in entries.items():
        if code in names:
            by_full_name[names[code]].update(abbrevs[code])
    result = {}
    for code, names in entries.items():
        if abbrevs[code]:
            result[code] = tuple(sorted(abbrevs[code]))
        elif by_full_name.get(names.get(code, "")):
            result[code] = (by_full_name[names[code]].most_common(1)[0][0],)
    return result


def nanpa_regions(region: str = "US") -> tuple[str, ...]:
    """Subdivision codes (US states, CA provinces) that the geocoder data names for a NANPA region."""
    return tuple(sorted({s for subs in _nanpa_area_regions(region).values() for s in subs}))


def nanpa_area_codes(subdivision: str, region: str = "US") -> tuple[str, ...]:
    """Area codes serving a subdivision: nanpa_area_codes("CA") -> ("209", "213", ...)."""
    codes = _nanpa_area_regions(region)
    return tuple(sorted(c for c, subs in codes.items() if subdivision.upper() in subs))


# --- number ranges by service type ------------------------------------------------------------


@cache
def service_type_prefixes(service_type: str, region: str = "GB") -> tuple[str, ...]:
    """National prefixes to draw numbers of a service type from, sorted.

    GEOGRAPHIC: the area codes. Other types: the national destination codes (GB "0800", "07400",
    ...) found by sampling the type's metadata pattern; the sampling is seeded, so stable."""
    region = region.upper()
    if service_type == GEOGRAPHIC:
        return tuple(sorted(a.national_prefix for a in area_codes(region)))
    pnt = DRAWABLE_TYPES.get(service_type)
    if pnt is None:
        raise ValueError(f"unknown service type {service_type!r}; expected one of {list(DRAWABLE_TYPES)}")
    desc = getattr(_metadata(region), _TYPE_DESC[pnt])
    if desc is None or not desc.national_number_pattern:
        return ()
    pattern = re.compile(desc.national_number_pattern)
    cc = pn.country_code_for_region(region)
    rng = random.Random(f"blocks|{region}|{service_type}")
    blocks: set[str] = set()

    def visit(p: str) -> None:
        samples = [
            p + str(rng.randrange(10 ** (n - len(p)))).zfill(n - len(p))
            for n in desc.possible_length
            if n > len(p)
            for _ in range(20)
        ]
        ndc_lengths = []
        for nsn in [s for s in samples if pattern.fullmatch(s)][:3]:  # validating every match is slow
            num = _number(cc, nsn)
            if pn.is_valid_number_for_region(num, region) and _is_type(num, pnt):
                n = pn.length_of_national_destination_code(num)
                ndc_lengths.append(n)
                if n <= len(p):
                    blocks.add(nsn[:n])
        # Sparse types hide from a 20-number sample (GB freephone is 2% of "8..."), so always
        # look 3 digits deep; below that, follow only ranges whose codes are still longer.
        if len(p) < 3 or any(n > len(p) for n in ndc_lengths):
            for d in "0123456789":
                visit(p + d)

    visit("")
    trunk = _trunk_prefix(region)
    return tuple(sorted(trunk + b for b in blocks))


# phonenumbers' type rule (``phonenumberutil._number_type_helper``, what ``number_type`` applies):
# the first of these types whose description a number matches, else fixed line (or "fixed line or
# mobile"), else mobile.
_TYPE_RULE = (
    (PNT.PREMIUM_RATE, "premium_rate"),
    (PNT.TOLL_FREE, "toll_free"),
    (PNT.SHARED_COST, "shared_cost"),
    (PNT.VOIP, "voip"),
    (PNT.PERSONAL_NUMBER, "personal_number"),
    (PNT.PAGER, "pager"),
    (PNT.UAN, "uan"),
    (PNT.VOICEMAIL, "voicemail"),
)
_Description = tuple[frozenset[int], Callable[[str], re.Match[str] | None]] | None


def _compiled(desc: pn.PhoneNumberDesc | None) -> _Description:
    """A number description as its lengths and its pattern's ``fullmatch``, made once; None for
    one that matches nothing (none, or no pattern)."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length), re.compile(desc.national_number_pattern).fullmatch


def _matches(desc: _Description, nsn: str) -> bool:
    # As phonenumbers' _is_number_matching_desc: a description listing no lengths allows any.
    return desc is not None and (not desc[0] or len(nsn) in desc[0]) and desc[1](nsn) is not None


@cache
def _type_rule(region: str) -> Callable[[str], int]:
    """The type phonenumbers gives a national significant number of ``region``, decided as it
    decides it, with the region's patterns compiled and its lengths made sets once: drawing
    thousands of numbers decides thousands of types. tests/core/test_numbering.py holds it to
    phonenumbers' own answer."""
    md = _metadata(region)
    general = _compiled(md.general_desc)
    ordered = [(pnt, desc) for pnt, name in _TYPE_RULE if (desc := _compiled(getattr(md, name))) is not None]
    fixed_line, mobile = _compiled(md.fixed_line), _compiled(md.mobile)
    same = bool(md.same_mobile_and_fixed_line_pattern)

    def type_of(nsn: str) -> int:
        if not _matches(general, nsn):
            return PNT.UNKNOWN
        for pnt, desc in ordered:
            if _matches(desc, nsn):
                return pnt
        if _matches(fixed_line, nsn):
            return PNT.FIXED_LINE_OR_MOBILE if same or _matches(mobile, nsn) else PNT.FIXED_LINE
        if not same and _matches(mobile, nsn):
            return PNT.MOBILE
        return PNT.UNKNOWN

    return type_of


@cache
def _valid_of_type(region: str, pnt: int | None) -> Callable[[str], bool]:
    """Whether a national significant number is valid in ``region`` (and of type ``pnt``): what
    ``is_valid_number_for_region`` and ``number_type`` say together, at a fraction of their cost
    when drawing thousands of numbers. A number must match the metadata's own pattern for the type
    (a cheap first test that rejects most random draws); then phonenumbers' type rule decides,
    once (the public calls would find the region again and decide the type twice)."""
    md = _metadata(region)
    desc = md.general_desc if pnt is None else getattr(md, _TYPE_DESC[pnt])
    pattern = re.compile(desc.national_number_pattern) if desc is not None and desc.national_number_pattern else None
    type_of = _type_rule(region)

    def check(nsn: str) -> bool:
        if pattern is not None and pattern.fullmatch(nsn) is None:
            return False
        found = type_of(nsn)
        if pnt is None:
            return found != PNT.UNKNOWN
        # NANPA numbers can't be told apart: FIXED_LINE_OR_MOBILE counts as both.
        return found == pnt or (found == PNT.FIXED_LINE_OR_MOBILE and pnt in (PNT.FIXED_LINE, PNT.MOBILE))

    return check


@cache
def _valid_neighbour(region: str, service_type: str | None) -> Callable[[str], bool]:
    """Whether a neighbour of a valid number (same type, same block) is valid too: it matches the
    region's general pattern and the type's own (which together make phonenumbers call it valid),
    at a fifth of the cost of deciding its type. Without a type, the full check."""
    if service_type is None:
        return _valid_of_type(region, None)
    md = _metadata(region)
    found = (md.general_desc, getattr(md, _TYPE_DESC[DRAWABLE_TYPES[service_type]]))
    descs = [desc for desc in found if desc is not None and desc.national_number_pattern]
    if len(descs) < len(found):
        return lambda nsn: False
    # The two tests as one: lengths both allow (a description listing none allows any), and one
    # pattern that matches where both do (the general one as a lookahead), a single C call.
    listed = [frozenset(desc.possible_length) for desc in descs if desc.possible_length]
    lengths = frozenset.intersection(*listed) if listed else None
    general, typed = (desc.national_number_pattern for desc in descs)
    both = re.compile(rf"(?=(?:{general})\Z)(?:{typed})").fullmatch
    if lengths is None:
        return lambda nsn: both(nsn) is not None
    return lambda nsn: len(nsn) in lengths and both(nsn) is not None


# block_numbers: numbers derived from each drawn one, and the digits they may differ in.
_NEIGHBOURS = 32
_BLOCK_DIGITS = 3
_BLOCK_SUFFIXES = [f"{n:03d}" for n in range(10**_BLOCK_DIGITS)]


@lru_cache(maxsize=4096)
def _drawing(prefix: str, region: str, service_type: str | None) -> tuple[str, tuple[int, ...], Callable[[str], bool]]:
    """What drawing numbers from a national prefix takes, worked out once per prefix: its national
    significant digits, the number lengths longer than those, and the validity check."""
    nsn_prefix = _nsn_prefix(prefix, region)
    lengths = tuple(n for n in _possible_lengths(region) if n > len(nsn_prefix))
    want = DRAWABLE_TYPES[service_type] if service_type else None
    return nsn_prefix, lengths, _valid_of_type(region, want)


def candidate_numbers(
    prefix: str, seed: int | str, count: int, region: str = "GB", service_type: str | None = None
) -> list[str]:
    """Up to ``count`` distinct valid numbers starting with a national prefix, in national format
    without spaces ("01224069352").

    Deterministic: the generator is seeded from (seed, prefix, region) through random.Random's
    SHA-512 string seeding, so results don't depend on PYTHONHASHSEED; a larger ``count`` extends
    the smaller list. Optionally keep only one service type. Fewer are returned only if the
    prefix holds too few valid numbers to find."""
    region = region.upper()
    nsn_prefix, lengths, valid_of_type = _drawing(prefix, region, service_type)
    rng = random.Random(f"{seed!r}|{nsn_prefix}|{region}")
    found: dict[str, None] = {}  # insertion-ordered set
    attempts = 0
    while len(found) < count and lengths and attempts < 200 * count + 2000:
        attempts += 1
        length = rng.choice(lengths)
        rest = length - len(nsn_prefix)
        nsn = nsn_prefix + str(rng.randrange(10**rest)).zfill(rest)
        if nsn in found or not valid_of_type(nsn):
            continue
        found[nsn] = None
    trunk = _trunk_prefix(region)
    return [trunk + nsn for nsn in found]


def block_numbers(
    prefix: str, seed: int | str, count: int, region: str = "GB", service_type: str | None = None
) -> list[str]:
    """Up to ``count`` distinct valid numbers under a national prefix, as ``candidate_numbers``
    gives them, at volume: a few are drawn by ``candidate_numbers`` and the rest are their
    neighbours in the same thousand-block (ranges are allocated in such blocks). Random draws
    mostly miss a valid range; a neighbour mostly hits it.
    Deterministic under (seed, prefix, region)."""
    region = region.upper()
    nsn_prefix = _drawing(prefix, region, service_type)[0]
    neighbour_is_valid = _valid_neighbour(region, service_type)
    trunk = _trunk_prefix(region)
    rng = random.Random(f"block|{seed!r}|{nsn_prefix}|{region}")
    found: dict[str, None] = {}
    anchors = -(-count // _NEIGHBOURS)
    while True:
        drawn = candidate_numbers(prefix, seed, anchors, region, service_type)
        for national in drawn:
            found[national] = None
            if len(found) >= count:
                return list(found)[:count]
            stem = national[:-_BLOCK_DIGITS]
            for suffix in rng.sample(_BLOCK_SUFFIXES, _NEIGHBOURS * 2):
                neighbour = stem + suffix
                if neighbour not in found and neighbour_is_valid(neighbour[len(trunk) :]):
                    found[neighbour] = None
        # Too few neighbours held: more anchors (a larger count extends the drawn list).
        if len(found) >= count or len(drawn) < anchors or anchors >= count:
            return list(found)[:count]
        anchors *= 2


# --- single numbers ----------------------------------------------------------------------------


def e164(national: str, region: str = "GB") -> str:
    """A valid number in national format without spaces ("02071234567", as candidate_numbers gives
    it) in E.164 ("+442071234567"), without the cost of parsing it."""
    region = region.upper()
    trunk = _trunk_prefix(region)
    nsn = national[len(trunk) :] if trunk and national.startswith(trunk) else national
    return f"+{pn.country_code_for_region(region)}{nsn}"


def country_name(region: str) -> str:
    """English country name from the geocoder's locale data: "GB" -> "United Kingdom"."""
    return _country_names().get(region.upper(), "")


def describe(number: str, region: str = "GB") -> NumberInfo:
    """Parse a national ("01245123456") or E.164 ("+441245123456") number; ValueError if invalid."""
    try:
        num = pn.parse(number, region.upper())
    except pn.NumberParseException as exc:
        raise ValueError(f"cannot parse {number!r}: {exc}") from exc
    if not pn.is_valid_number(num):
        raise ValueError(f"not a valid number: {number!r}")
    num_region, country_code = _region_of(num), num.country_code
    if country_code is None:
        raise ValueError(f"not a valid number: {number!r}")
    nsn = pn.national_significant_number(num)
    service_type = _service_type(num)
    length = pn.length_of_geographical_area_code(num) or pn.length_of_national_destination_code(num)
    area = area_code_for_prefix(nsn, num_region) if service_type == GEOGRAPHIC else None
    range_code = area.code if area else nsn[:length]
    if service_type == GEOGRAPHIC:
        range_name = area.name if area else _place_name(country_code, nsn)
    else:
        range_name = _TYPE_RANGE_NAMES[service_type]
    return NumberInfo(
        e164=pn.format_number(num, pn.PhoneNumberFormat.E164),
        country_code=country_code,
        region=num_region,
        national_number=nsn,
        range_code=range_code,
        subscriber=nsn[len(range_code) :],
        range_name=range_name or _TYPE_RANGE_NAMES[OTHER],
        service_type=service_type,
        country_name=country_name(num_region),
    )
