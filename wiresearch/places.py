"""Countries and regions: place names and codes as wires write them, to ISO 3166 codes
(dissolved states by their ISO 3166-3 code) and UN M49 regions.

pycountry knows the ISO names and codes; what it does not know is how wires spell
places (`west-germany`, `uk`, `ussr`) and how people type them (`Britain`, `Soviet
Union`): those are the small alias table below.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")

# Names wires and readers use that ISO does not. Keys are folded (see _fold_name).
# States renamed without changing (Burma, Zaire, Kampuchea) map to today's code so a
# search for Myanmar finds 1987 "burma" stories; dissolved states keep their own code.
ALIASES = {
    "usa": "US", "us": "US", "u s": "US", "u s a": "US", "america": "US",
    "united states of america": "US", "the united states": "US",
    "uk": "GB", "u k": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "russia": "RU",
    "ussr": "SUHH", "u s s r": "SUHH", "soviet union": "SUHH", "soviet": "SUHH",
    "west germany": "DE", "w germany": "DE", "federal republic of germany": "DE",
    "east germany": "DDDE", "gdr": "DDDE", "german democratic republic": "DDDE",
    "yugoslavia": "YUCS", "czechoslovakia": "CSHH",
    "burma": "MM", "zaire": "CD", "kampuchea": "KH", "cambodia": "KH",
    "ivory coast": "CI", "cote d ivoire": "CI", "uae": "AE", "u a e": "AE",
    "swaziland": "SZ", "holland": "NL", "macau": "MO", "turkey": "TR",
    "cape verde": "CV", "east timor": "TL", "macedonia": "MK", "czech republic": "CZ",
    "vatican": "VA", "vatican city": "VA", "holy see": "VA",
    "trinidad tobago": "TT", "trinidad": "TT",
    "western samoa": "WS", "yemen arab republic": "YE", "north yemen": "YE",
    "yemen demo republic": "YDYE", "south yemen": "YDYE",
    "netherlands antilles": "ANHH", "us virgin islands": "VI",
    "british virgin islands": "VG", "congo": "CG", "brunei": "BN", "palestine": "PS",
    "antigua": "AG", "the gambia": "GM", "the bahamas": "BS", "micronesia": "FM", "kosovo": "XK",
    "south korea": "KR", "north korea": "KP", "korea": "KR",
    "dr congo": "CD", "drc": "CD", "democratic republic of congo": "CD",
    "congo kinshasa": "CD", "congo brazzaville": "CG", "bosnia": "BA",
    "republic of ireland": "IE", "eire": "IE",
}

# Display labels where ISO's name is not what a reader expects to see.
LABELS = {
    "US": "United States", "GB": "United Kingdom", "RU": "Russia", "SUHH": "Soviet Union",
    "DDDE": "East Germany", "YUCS": "Yugoslavia", "CSHH": "Czechoslovakia",
    "YDYE": "South Yemen", "ANHH": "Netherlands Antilles", "CZ": "Czech Republic",
    "TR": "Turkey", "CI": "Ivory Coast", "CD": "DR Congo", "VA": "Vatican",
    "MK": "North Macedonia", "XK": "Kosovo", "PS": "Palestine", "BN": "Brunei",
    "FM": "Micronesia", "VI": "US Virgin Islands", "VG": "British Virgin Islands",
}


_SAINT = re.compile(r"\bst (?=\w)")


def _fold_name(text: str) -> str:
    """Lower case, accents off, punctuation and hyphens to single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^a-z0-9]+", text.lower())).strip()


@cache
def _region_table() -> dict[str, str]:
    table: dict[str, str] = {}
    # A plain path, not importlib.resources: that import alone costs searches 15 ms.
    text = (Path(__file__).parent / "data" / "m49.txt").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        region, _subregion, codes = (part.strip() for part in line.split("|"))
        for code in codes.split():
            table[code] = region
    return table


# ISO 3166-3 codes of states that were renamed rather than dissolved: their names map to
# today's code, like the aliases above.
RENAMED = {"BUMM": "MM", "ZRCD": "CD", "DYBJ": "BJ", "HVBF": "BF", "NHVU": "VU",
           "TPTL": "TL", "AIDJ": "DJ", "RHZW": "ZW", "BYAA": "BY"}


@cache
def _name_table() -> dict[str, str]:
    """Every folded name and code pycountry knows, plus our aliases, to a code."""
    import pycountry

    table: dict[str, str] = {}
    for country in pycountry.historic_countries:
        code = RENAMED.get(country.alpha_4, country.alpha_4)
        for name in (country.alpha_4, getattr(country, "alpha_3", ""), country.name):
            if name:
                table.setdefault(_fold_name(name), code)
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.alpha_2, country.alpha_3, country.name,
                 getattr(country, "common_name", ""), getattr(country, "official_name", "")]
        # "Korea, Republic of" is also written "Republic of Korea".
        if ", " in country.name:
            head, tail = country.name.split(", ", 1)
            names.append(f"{tail} {head}")
        for name in names:
            if name:
                table[_fold_name(name)] = code
    table.update({key: code for key, code in ALIASES.items()})
    # The labels shown are names to look up too ("DR Congo").
    table.update({_fold_name(label): code for code, label in LABELS.items()})
    # "Congo, The Democratic Republic of the" is written without its "the" too.
    for key, code in list(table.items()):
        if key.startswith("the "):
            table.setdefault(key.removeprefix("the "), code)
    return table


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """The ISO code for a place name or code, or None when it is not a country.

    >>> country_code("west-germany"), country_code("Soviet Union"), country_code("GBR")
    ('DE', 'SUHH', 'GB')
    """
    key = _fold_name(text)
    if not key:
        return None
    table = _name_table()
    found = table.get(key)
    if found is None:
        # "The Netherlands", "the Philippines"; "St Lucia", "St. Kitts and Nevis".
        found = table.get(_SAINT.sub("saint ", key.removeprefix("the ")))
    return found


def region_of(code: str) -> str | None:
    """The UN M49 macro region of an ISO code (None for Antarctica and unknown codes)."""
    return _region_table().get(code)


def regions_of(codes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    found = {region_of(code) for code in codes}
    return tuple(region for region in REGIONS if region in found)


@lru_cache(maxsize=1024)
def country_label(code: str) -> str:
    if code in LABELS:
        return LABELS[code]
    import pycountry

    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None and len(code) == 4:
        country = pycountry.historic_countries.get(alpha_4=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def region_name(text: str) -> str | None:
    """The canonical region for user input such as `europe` or `AMERICAS`."""
    folded = _fold_name(text)
    for region in REGIONS:
        if region.lower() == folded:
            return region
    return None
