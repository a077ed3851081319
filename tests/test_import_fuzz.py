"""Generated hostile files (issue 10): random bytes, broken quoting, CR-only line ends, NUL bytes,
huge cells and rows in another encoding between valid rows. The import never crashes, and every valid
row lands, read as written.

Limits of the promise, by design: one quote that never closes is read past (``csv_reader.iter_csv``);
two such quotes pair up like any CSV reader would, so a file gets at most one. A file in UTF-8 with
rows in Windows-1252 keeps the majority's encoding, so foreign rows are fewer than valid ones."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from exchange.models import Lead
from exchange.platform.extensions import db
from tests import factories as f
from tests.test_lead_import import shared_strings_xlsx, stale_dimension_xlsx

CELL_LIMIT = 3000
FUZZ = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the time stays bounded on a failure too
)
_serial = itertools.count()

names = st.text(alphabet="abcdefgh äöüßÄÖÜé", min_size=1, max_size=12).map(lambda s: s.strip() or "x")
plain = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"\x00'), max_size=30)


@pytest.fixture
def maker(app):
    org = f.manufacturer("Fuzz Pumps", slug="fuzz")
    db.session.commit()
    return org


def valid_row(draw, serial: int, n: int) -> tuple[str, str, str]:
    company = f"Ö{draw(names)} {serial}-{n}"  # non-ASCII in every valid row: encoding evidence
    return company, f"v{serial}x{n}@fuzz.example", draw(st.sampled_from(["Köln", "Graz", "Paris", ""]))


def junk_line(draw, kind: str, delimiter: str, other_encoding: str) -> bytes:
    if kind == "bytes":
        return draw(st.binary(max_size=60)).replace(b'"', b"")
    if kind == "nul":
        return f"Nul\x00 {draw(names)}{delimiter}nul@fuzz.example{delimiter}x".encode()
    if kind == "huge":
        return f"Huge{delimiter}h@fuzz.example{delimiter}{'y' * (CELL_LIMIT + 1)}".encode()
    if kind == "huge-quoted":
        lines = "z\n" * CELL_LIMIT
        return f'Huge{delimiter}h@fuzz.example{delimiter}"{lines}"'.encode()
    if kind == "foreign":
        return f"Groß {draw(names)}{delimiter}f@fuzz.example{delimiter}Düren".encode(
            other_encoding, "replace"
        )
    if kind == "wide":
        return delimiter.join(["Wide", "w@fuzz.example", "a", "b"]).encode()
    return delimiter.join(draw(st.lists(plain, max_size=4))).encode("utf-8")  # text of any width


@st.composite
def csv_files(draw):
    serial = next(_serial)
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    line_end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "cp1252"]))
    other = "cp1252" if encoding == "utf-8" else "utf-8"
    valid = [valid_row(draw, serial, n) for n in range(draw(st.integers(3, 8)))]
    kinds = st.sampled_from(["bytes", "nul", "huge", "huge-quoted", "foreign", "wide", "text"])
    junk = draw(st.lists(kinds, max_size=6))
    if junk.count("foreign") >= len(valid):
        junk = [k for k in junk if k != "foreign"]
    lines: list[bytes] = []
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for row in valid:
        writer.writerow(row)
        lines.append(buffer.getvalue().encode(encoding))
        buffer.seek(0)
        buffer.truncate()
    for kind in junk:
        position = draw(st.integers(0, len(lines)))
        lines.insert(position, junk_line(draw, kind, delimiter, other) + line_end.encode())
    if draw(st.booleans()):  # one quote that never closes
        position = draw(st.integers(0, len(lines)))
        lines.insert(position, f'Broken{delimiter}"b@fuzz.example{line_end}'.encode())
    header = delimiter.join(["Company", "Email", "City"]) + line_end
    return header.encode() + b"".join(lines), valid


def import_file(app, path):
    result = app.test_cli_runner().invoke(args=["leads", "import", str(path), "--manufacturer", "fuzz"])
    # Never a traceback: either the result, or exit 1 with a message.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    return result


def assert_all_landed(maker, valid, content=None):
    emails = [email for _company, email, _city in valid]
    found = dict(
        db.session.execute(
            sa.select(Lead.contact_email, Lead.company_name).where(
                Lead.manufacturer_id == maker.id, Lead.contact_email.in_(emails)
            )
        ).all()
    )
    assert found == {email: company for company, email, _city in valid}, content


@pytest.mark.app_config(LEAD_IMPORT_MAX_CELL_CHARS=CELL_LIMIT, LEAD_IMPORT_BATCH_SIZE=4)
@FUZZ
@given(case=csv_files())
def test_generated_csv_files(app, maker, tmp_path, case):
    content, valid = case
    path = tmp_path / f"fuzz-{next(_serial)}.csv"
    path.write_bytes(content)
    result = import_file(app, path)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (
        summary["rows"]
        == summary["created"] + summary["updated"] + summary["duplicates"] + summary["rejected"]
    )
    assert_all_landed(maker, valid, content)


@pytest.mark.app_config(LEAD_IMPORT_MAX_CELL_CHARS=CELL_LIMIT)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=400), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_random_bytes_never_crash(app, maker, tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    import_file(app, path)
    zipped = tmp_path / "z.xlsx"  # a zip that is not a workbook, or a damaged one
    zipped.write_bytes(b"PK\x03\x04" + content)
    assert import_file(app, zipped).exit_code == 1


xlsx_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)


@st.composite
def workbooks(draw):
    serial = next(_serial)
    valid = [valid_row(draw, serial, n) for n in range(draw(st.integers(2, 6)))]
    rows: list[list] = [list(row) for row in valid]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "huge", "number", "blank"]))
        junk = {
            "text": [draw(xlsx_text), draw(xlsx_text), draw(xlsx_text)],
            "huge": ["Huge", "h@fuzz.example", "y" * (CELL_LIMIT + 1)],
            "number": [draw(st.integers()), draw(st.floats(allow_nan=False, allow_infinity=False)), None],
            "blank": [None, "", " "],
        }[kind]
        rows.insert(draw(st.integers(0, len(rows))), junk)
    return [["Company", "Email", "City"], *rows], valid, draw(st.sampled_from(["plain", "stale", "shared"]))


@pytest.mark.app_config(LEAD_IMPORT_MAX_CELL_CHARS=CELL_LIMIT)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=workbooks())
def test_generated_workbooks(app, maker, tmp_path, case):
    rows, valid, kind = case
    path = tmp_path / f"fuzz-{next(_serial)}.xlsx"
    if kind == "shared":
        shared_strings_xlsx(path, [["" if c is None else str(c) for c in row] for row in rows])
    else:
        stale_dimension_xlsx(path, rows, "A1:B2" if kind == "stale" else "A1")
    result = import_file(app, path)
    assert result.exit_code == 0, result.output
    assert_all_landed(maker, valid)
