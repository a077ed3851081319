"""Country (ISO 3166-1 alpha-2), language (ISO 639) and currency (ISO 4217) codes, from the CLDR
data Babel ships.

Used to validate what users type (coverage rows, languages, a programme's currency) and to name codes
in their language.
"""

from __future__ import annotations

import functools

from babel import Locale
from babel.numbers import list_currencies

# CLDR territory codes that are not countries: exceptional reservations (AC, CP, CQ, DG, EA, IC, TA),
# groupings (EU, EZ, QO, UN) and pseudo-locales (XA, XB, ZZ). Kosovo (XK) stays: it is used in
# practice although user-assigned.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@functools.cache
def country_codes() -> frozenset[str]:
    territories = Locale("en").territories
    return frozenset(
        code for code in territories if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@functools.cache
def language_codes() -> frozenset[str]:
    """Two-letter ISO 639-1 codes, and three-letter ones for languages that have no two-letter code."""
    return frozenset(code for code in Locale("en").languages if code.isalpha() and len(code) in (2, 3))


@functools.cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 alphabetic codes (``EUR``, ``CHF``, ``USD``, ...)."""
    return frozenset(
        code for code in list_currencies() if len(code) == 3 and code.isalpha() and code.isupper()
    )


def is_currency(code: str | None) -> bool:
    return bool(code) and code in currency_codes()


def is_country(code: str | None) -> bool:
    return bool(code) and code in country_codes()


def is_language(code: str | None) -> bool:
    return bool(code) and code in language_codes()


def country_names(locale: str | Locale) -> dict[str, str]:
    """Country code -> name in ``locale``, sorted by name."""
    territories = Locale.parse(locale).territories
    names = {code: territories.get(code, code) for code in country_codes()}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def language_names(locale: str | Locale) -> dict[str, str]:
    """Language code -> name in ``locale``, two-letter codes only (the common ones), sorted by name."""
    languages = Locale.parse(locale).languages
    names = {code: languages.get(code, code) for code in language_codes() if len(code) == 2}
    return dict(sorted(names.items(), key=lambda item: item[1]))
