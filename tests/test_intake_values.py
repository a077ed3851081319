"""Reading what people type: numbers (German and English), countries, regions, ratings, headers,
encodings and delimiters."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.leads.intake import detection, files, headers, values


@pytest.mark.parametrize(
    ("text", "number_format", "expected"),
    [
        ("1.234.567,89", "de", "1234567.89"),
        ("1.234.567,89", "en", "1234567.89"),  # unambiguous whatever the file says
        ("1,234,567.89", "de", "1234567.89"),
        ("12,5", "en", "12.5"),
        ("0,75", "de", "0.75"),
        ("1.200", "de", "1200"),
        ("1.200", "en", "1.200"),
        ("1,200", "en", "1200"),
        ("1,200", "de", "1.200"),
        ("€ 2.500,00", "de", "2500.00"),
        ("2 500 000", "de", "2500000"),
        ("1'250.50", "en", "1250.50"),
        ("1.2E+06", "en", "1.2E+6"),
        ("EUR 99", "en", "99"),
    ],
)
def test_numbers(text, number_format, expected):
    assert values.parse_number(text, number_format) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "many", "1.23.4", "12,34,5", "1,2.3", "--5", "1e"])
def test_not_numbers(text):
    with pytest.raises(ValueError):
        values.parse_number(text, "de")


def test_number_format_detection():
    assert values.detect_number_format(["1.234,50", "1.000", "7"], ",") == "de"
    assert values.detect_number_format(["1,234.50", "1.000"], ";") == "en"
    assert values.detect_number_format(["1.000", "12"], ";") == "de"  # undecided: semicolon files are German
    assert values.detect_number_format(["1.000", "12"], ",") == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [("Germany", "DE"), ("Deutschland", "DE"), ("de", "DE"), ("DEU", "DE"), ("Österreich", "AT"),
     ("Oesterreich", "AT"), ("Schweiz", "CH"), ("United States", "US"), ("USA", "US"),
     ("Vereinigte Staaten", "US"), ("UK", "GB"), ("Vereinigtes Königreich", "GB"), ("Frankreich", "FR"),
     ("the Netherlands", "NL"), ("  spain ", "ES"), ("Atlantis", None), ("EU", None)],
)  # fmt: skip
def test_countries(text, code):
    assert values.country_code(text) == code


def test_regions_and_postal_codes():
    assert values.region_code("Bayern", "DE") == "BY"
    assert values.region_code("North Rhine-Westphalia", "DE") == "NW"
    assert values.region_code("DE-BW", "DE") == "BW"
    assert values.region_code("Texas", "US") == "TX"
    assert values.region_code("Île-de-France", "FR") == "IDF"
    assert values.region_code("Somewhere", "DE") == "Somewhere"
    assert values.region_code("Bayern", None) == "Bayern"
    assert values.postal_code("1067", "DE") == "01067"
    assert values.postal_code("1010", "AT") == "1010"
    assert values.postal_code("SW1A 1AA", "GB") == "SW1A 1AA"


def test_ratings_and_yes_no():
    assert [values.temperature_for_rating(t) for t in ("Hot", "heiß", "HEISS", "warm", "Kalt", "cold")] == [
        "hot", "hot", "hot", "warm", "cold", "cold",
    ]  # fmt: skip
    assert values.temperature_for_rating("lukewarm") is None
    assert [values.yes_no(t) for t in ("Ja", "yes", "1", "x", "nein", "FALSE", "0")] == [
        True, True, True, True, False, False, False,
    ]  # fmt: skip
    with pytest.raises(ValueError):
        values.yes_no("perhaps")


def test_header_conventions():
    found = headers.detect_mapping(["E-Mail-Adresse", "Straße", "PLZ", "Rating__c", "Country/Region", "Foo"])
    assert found == [
        "contact_email", "street", "postal_code", "rating", "country", None,
    ]  # fmt: skip
    # A field claimed twice: the first column keeps it.
    assert headers.detect_mapping(["Email", "E-Mail"]) == ["contact_email", None]


def test_encodings_and_delimiters(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("Firma;Ort\nMüller;Köln\n".encode("cp1252"))
    settings = detection.detect_settings(path)
    assert (settings.encoding, settings.delimiter) == ("cp1252", ";")
    path.write_bytes("\ufeffCompany\tCity\nA\tB\n".encode())
    settings = detection.detect_settings(path)
    assert (settings.encoding, settings.delimiter) == ("utf-8-sig", "\t")
    assert files.read_header_and_sample(path, settings) == (["Company", "City"], [["A", "B"]])
    path.write_bytes("Company,City\nA,B\n".encode("utf-16"))
    settings = detection.detect_settings(path)
    assert (settings.encoding, settings.delimiter) == ("utf-16", ",")
    path.write_bytes(b'Company,Notes\n"A, Inc.","line one\nline two"\n')
    settings = detection.detect_settings(path)
    assert settings.delimiter == ","
    assert list(files.iter_records(path, settings)) == [
        (1, ["Company", "Notes"]),
        (2, ["A, Inc.", "line one\nline two"]),
    ]
    # UTF-8 for 300 kB, then one Windows-1252 byte: the whole file is read as Windows-1252.
    path.write_bytes(b"Company,City\n" + b"A,B\n" * 80_000 + "Z,M\xfcnchen\n".encode("latin-1"))
    assert detection.detect_settings(path).encoding == "cp1252"
