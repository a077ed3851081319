"""Turning what people type into what the domain stores: countries and regions to ISO codes, ratings
to temperatures, yes/no to booleans, and numbers written the German or the English way."""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from babel import Locale

from exchange.models import Temperature
from exchange.platform.iso_codes import country_codes

# --- countries ---------------------------------------------------------------------------------------

# Names people write that CLDR does not list (keys are normalised: see ``_key``).
COUNTRY_ALIASES = {
    "usa": "US",
    "us": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "vereinigte staaten von amerika": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "grossbritannien": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "england uk": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "niederlande": "NL",
    "oesterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "brd": "DE",
    "deutschland": "DE",
    "germany": "DE",
    "federal republic of germany": "DE",
    "bundesrepublik deutschland": "DE",
    "czech republic": "CZ",
    "tschechische republik": "CZ",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "uae": "AE",
}

# Three-letter codes of the countries leads come from most (ISO 3166-1 alpha-3).
ALPHA3 = {
    "DEU": "DE", "AUT": "AT", "CHE": "CH", "USA": "US", "GBR": "GB", "FRA": "FR", "NLD": "NL",
    "BEL": "BE", "LUX": "LU", "ITA": "IT", "ESP": "ES", "PRT": "PT", "POL": "PL", "CZE": "CZ",
    "DNK": "DK", "SWE": "SE", "NOR": "NO", "FIN": "FI", "IRL": "IE", "CAN": "CA", "MEX": "MX",
    "BRA": "BR", "CHN": "CN", "JPN": "JP", "IND": "IN", "AUS": "AU", "HUN": "HU", "SVK": "SK",
    "SVN": "SI", "HRV": "HR", "ROU": "RO", "BGR": "BG", "GRC": "GR", "TUR": "TR", "LIE": "LI",
}  # fmt: skip


def _key(text: str) -> str:
    """Case, accents, punctuation and spacing removed: 'Österreich' -> 'osterreich'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@functools.cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for locale in ("en", "de"):
        for code, name in Locale(locale).territories.items():
            if code in country_codes():  # countries only, as exchange.platform.iso_codes counts them
                names[_key(name)] = code
                names[code.lower()] = code
    names.update(COUNTRY_ALIASES)
    return names


@functools.lru_cache(maxsize=4096)
def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 for a code or an English or German name; None when unknown."""
    text = value.strip()
    if not text:
        return None
    if len(text) == 3 and text.upper() in ALPHA3:
        return ALPHA3[text.upper()]
    return _country_names().get(_key(text))


# --- regions -----------------------------------------------------------------------------------------

# Subdivision codes (ISO 3166-2 without the country prefix) by English and German name, for the
# countries whose partners cover regions. Coverage is matched on these codes.
_REGION_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "DE": {
        "BW": ("Baden-Württemberg", "Baden-Wuerttemberg"),
        "BY": ("Bayern", "Bavaria", "Freistaat Bayern"),
        "BE": ("Berlin",),
        "BB": ("Brandenburg",),
        "HB": ("Bremen",),
        "HH": ("Hamburg",),
        "HE": ("Hessen", "Hesse"),
        "MV": ("Mecklenburg-Vorpommern", "Mecklenburg-Western Pomerania"),
        "NI": ("Niedersachsen", "Lower Saxony"),
        "NW": ("Nordrhein-Westfalen", "North Rhine-Westphalia", "NRW"),
        "RP": ("Rheinland-Pfalz", "Rhineland-Palatinate"),
        "SL": ("Saarland",),
        "SN": ("Sachsen", "Saxony", "Freistaat Sachsen"),
        "ST": ("Sachsen-Anhalt", "Saxony-Anhalt"),
        "SH": ("Schleswig-Holstein",),
        "TH": ("Thüringen", "Thuringia", "Freistaat Thüringen"),
    },
    "AT": {
        "B": ("Burgenland",),
        "K": ("Kärnten", "Carinthia"),
        "NO": ("Niederösterreich", "Lower Austria"),
        "OO": ("Oberösterreich", "Upper Austria"),
        "S": ("Salzburg",),
        "ST": ("Steiermark", "Styria"),
        "T": ("Tirol", "Tyrol"),
        "V": ("Vorarlberg",),
        "W": ("Wien", "Vienna"),
    },
    "CH": {
        "AG": ("Aargau",), "AI": ("Appenzell Innerrhoden",), "AR": ("Appenzell Ausserrhoden",),
        "BE": ("Bern", "Berne"), "BL": ("Basel-Landschaft",), "BS": ("Basel-Stadt",),
        "FR": ("Freiburg", "Fribourg"), "GE": ("Genf", "Geneva", "Genève"), "GL": ("Glarus",),
        "GR": ("Graubünden", "Grisons"), "JU": ("Jura",), "LU": ("Luzern", "Lucerne"),
        "NE": ("Neuenburg", "Neuchâtel"), "NW": ("Nidwalden",), "OW": ("Obwalden",),
        "SG": ("St. Gallen", "Sankt Gallen"), "SH": ("Schaffhausen",), "SO": ("Solothurn",),
        "SZ": ("Schwyz",), "TG": ("Thurgau",), "TI": ("Tessin", "Ticino"), "UR": ("Uri",),
        "VD": ("Waadt", "Vaud"), "VS": ("Wallis", "Valais"), "ZG": ("Zug",), "ZH": ("Zürich", "Zurich"),
    },
    "US": {
        "AL": ("Alabama",), "AK": ("Alaska",), "AZ": ("Arizona",), "AR": ("Arkansas",),
        "CA": ("California", "Kalifornien"), "CO": ("Colorado",), "CT": ("Connecticut",),
        "DE": ("Delaware",), "DC": ("District of Columbia", "Washington DC", "Washington D.C."),
        "FL": ("Florida",), "GA": ("Georgia",), "HI": ("Hawaii",), "ID": ("Idaho",), "IL": ("Illinois",),
        "IN": ("Indiana",), "IA": ("Iowa",), "KS": ("Kansas",), "KY": ("Kentucky",),
        "LA": ("Louisiana",), "ME": ("Maine",), "MD": ("Maryland",), "MA": ("Massachusetts",),
        "MI": ("Michigan",), "MN": ("Minnesota",), "MS": ("Mississippi",), "MO": ("Missouri",),
        "MT": ("Montana",), "NE": ("Nebraska",), "NV": ("Nevada",), "NH": ("New Hampshire",),
        "NJ": ("New Jersey",), "NM": ("New Mexico",), "NY": ("New York",),
        "NC": ("North Carolina", "Nord-Carolina"), "ND": ("North Dakota",), "OH": ("Ohio",),
        "OK": ("Oklahoma",), "OR": ("Oregon",), "PA": ("Pennsylvania",), "RI": ("Rhode Island",),
        "SC": ("South Carolina",), "SD": ("South Dakota",), "TN": ("Tennessee",), "TX": ("Texas",),
        "UT": ("Utah",), "VT": ("Vermont",), "VA": ("Virginia",), "WA": ("Washington",),
        "WV": ("West Virginia",), "WI": ("Wisconsin",), "WY": ("Wyoming",), "PR": ("Puerto Rico",),
    },
    "GB": {
        "ENG": ("England",), "SCT": ("Scotland", "Schottland"), "WLS": ("Wales",),
        "NIR": ("Northern Ireland", "Nordirland"),
    },
    "NL": {
        "DR": ("Drenthe",), "FL": ("Flevoland",), "FR": ("Friesland", "Fryslân"),
        "GE": ("Gelderland",), "GR": ("Groningen",), "LI": ("Limburg",),
        "NB": ("Noord-Brabant", "North Brabant", "Nordbrabant"),
        "NH": ("Noord-Holland", "North Holland", "Nordholland"), "OV": ("Overijssel",),
        "UT": ("Utrecht",), "ZE": ("Zeeland",), "ZH": ("Zuid-Holland", "South Holland", "Südholland"),
    },
    "FR": {
        "ARA": ("Auvergne-Rhône-Alpes",), "BFC": ("Bourgogne-Franche-Comté",),
        "BRE": ("Bretagne", "Brittany"),
        "CVL": ("Centre-Val de Loire",), "COR": ("Corse", "Corsica"), "GES": ("Grand Est",),
        "HDF": ("Hauts-de-France",), "IDF": ("Île-de-France", "Ile de France", "Paris Region"),
        "NOR": ("Normandie", "Normandy"), "NAQ": ("Nouvelle-Aquitaine",), "OCC": ("Occitanie",),
        "PDL": ("Pays de la Loire",), "PAC": ("Provence-Alpes-Côte d'Azur", "PACA"),
    },
}  # fmt: skip


@functools.cache
def _region_lookup() -> dict[str, dict[str, str]]:
    lookup: dict[str, dict[str, str]] = {}
    for country, regions in _REGION_NAMES.items():
        table = lookup.setdefault(country, {})
        for code, names in regions.items():
            table[_key(code)] = code
            table[_key(f"{country}-{code}")] = code
            for name in names:
                table[_key(name)] = code
    return lookup


@functools.lru_cache(maxsize=8192)
def region_code(value: str, country: str | None) -> str:
    """The subdivision code for a known region name of ``country``; otherwise the text as given."""
    text = value.strip()
    table = _region_lookup().get(country or "")
    if not text or table is None:
        return text
    return table.get(_key(text), text)


# Postal codes that lose their leading zero when a spreadsheet takes them for numbers.
POSTAL_CODE_DIGITS = {"DE": 5, "FR": 5, "IT": 5, "ES": 5, "US": 5, "FI": 5, "AT": 4, "CH": 4, "BE": 4}


def postal_code(value: str, country: str | None) -> str:
    text = value.strip()
    digits = POSTAL_CODE_DIGITS.get(country or "")
    if digits and text.isdigit() and len(text) < digits:
        return text.zfill(digits)
    return text


def place_codes(data: dict, country: str | None) -> None:
    """A loaded row's ``region`` (a known name becomes its code) and ``postal_code`` (leading zeros
    a spreadsheet dropped come back) in ``country``, in place."""
    if data.get("region"):
        data["region"] = region_code(data["region"], country)
    if data.get("postal_code"):
        data["postal_code"] = postal_code(data["postal_code"], country)


# --- ratings and yes/no ------------------------------------------------------------------------------

RATINGS = {
    "hot": Temperature.HOT,
    "heiss": Temperature.HOT,
    "heiß": Temperature.HOT,
    "a": Temperature.HOT,
    "warm": Temperature.WARM,
    "b": Temperature.WARM,
    "cold": Temperature.COLD,
    "kalt": Temperature.COLD,
    "c": Temperature.COLD,
}


def temperature_for_rating(value: str) -> Temperature | None:
    """Hot/Warm/Cold, heiß/warm/kalt (and A/B/C) -> a temperature; None when not a rating."""
    return RATINGS.get(value.strip().casefold()) or RATINGS.get(value.strip().lower())


TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "x", "ja", "j", "wahr", "✓", "✔", "met", "erfüllt"})
FALSE_WORDS = frozenset(
    {"no", "n", "false", "f", "0", "nein", "falsch", "-", "✗", "not met", "nicht erfüllt"}
)


def yes_no(value: str) -> bool | None:
    """True / False for the usual words in English and German; raises ValueError otherwise."""
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(value)


# --- numbers -----------------------------------------------------------------------------------------

_NOISE = re.compile(r"[\s\u00a0\u202f'’€$£]|EUR|USD|GBP|CHF", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^-?\d+(\.\d+)?[eE][+-]?\d+$")
_PLAIN = re.compile(r"^-?\d+$")


def parse_number(value: str, number_format: str = "en") -> Decimal:
    """A decimal from '1.234.567,89' (German Excel), '1,234,567.89', '12,5', '€ 1.200' or '1.2E+06'.

    Only a single separator followed by exactly three digits is ambiguous ('1.234'); the file's
    ``number_format`` ('de' or 'en', detected from its other values) decides it.
    """
    text = _NOISE.sub("", value)
    if not text:
        raise ValueError(value)
    if _PLAIN.match(text):
        return Decimal(text)
    if _SCIENTIFIC.match(text):
        return Decimal(text)
    if not re.fullmatch(r"-?[\d.,]+", text) or not any(c.isdigit() for c in text):
        raise ValueError(value)
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
    else:
        sep = "." if last_dot >= 0 else ","
        whole, _, tail = text.rpartition(sep)
        if text.count(sep) > 1:
            decimal_sep = None  # '1.234.567' or '1,234,567': thousands only
        elif len(tail) == 3 and whole.lstrip("-") not in ("", "0"):
            # '1.234' / '1,234': a thousands separator in the file's convention, else a decimal one.
            thousands = "." if number_format == "de" else ","
            decimal_sep = None if sep == thousands else sep
        else:
            decimal_sep = sep
    thousands_sep = {".": ",", ",": "."}.get(decimal_sep or "")
    if decimal_sep is None:
        normalised = text.replace(".", "").replace(",", "")
    else:
        integer, _, fraction = text.rpartition(decimal_sep)
        if thousands_sep and thousands_sep in fraction:
            raise ValueError(value)
        groups = integer.lstrip("-").split(thousands_sep) if thousands_sep else [integer.lstrip("-")]
        if len(groups) > 1 and (any(len(g) != 3 for g in groups[1:]) or not groups[0]):
            raise ValueError(value)
        normalised = integer.replace(thousands_sep or "\0", "") + "." + fraction
    if decimal_sep is None:
        groups = re.split(r"[.,]", text.lstrip("-"))
        if any(len(g) != 3 for g in groups[1:]) or not groups[0]:
            raise ValueError(value)
    try:
        return Decimal(normalised)
    except InvalidOperation:
        raise ValueError(value) from None


_DE_EVIDENCE = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d*)?$|^-?\d+,(\d{1,2}|\d{4,})$|^-?\d{1,3}(\.\d{3})*,\d+$")
_EN_EVIDENCE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$|^-?\d+\.(\d{1,2}|\d{4,})$|^-?\d{1,3}(,\d{3})*\.\d+$")


def detect_number_format(values: list[str], delimiter: str | None = None) -> str:
    """'de' or 'en' by which convention the unambiguous sample values follow; a tie goes to 'de' for
    semicolon files (what German Excel writes) and to 'en' otherwise."""
    german = english = 0
    for value in values:
        text = _NOISE.sub("", value)
        if not text:
            continue
        if re.fullmatch(r"-?\d{1,3}[.,]\d{3}", text):
            continue  # '1.200' / '1,200' could be either
        if _DE_EVIDENCE.match(text):
            german += 1
        elif _EN_EVIDENCE.match(text):
            english += 1
    if german != english:
        return "de" if german > english else "en"
    return "de" if delimiter == ";" else "en"
