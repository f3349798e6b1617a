"""Importing the city's register of residents for an edition with the registry policy.

The CSV has one resident a line: national ID number (birth number or PESEL, as the edition's ID
scheme says), birth date, district (code or name; empty for none), and the second factor: a
factor the resident holds that is not printed on the birth certificate, the identity-card number
or the one-time access code the city mails on paper (column `id_card`, `access_code` or `factor`).
A header line is optional; with one, the columns may come in any order. Comma or semicolon
separated, UTF-8. A register for the registry policy must carry the factor; a register imported
for a declaration edition (to check the declared identities afterwards) may leave it out.

Only HMAC(pepper, normalised ID), the birth year, the district and HMAC of the factor (bound to
the voter key) are stored. The file is read
as a stream and staged in a temporary table (PostgreSQL: COPY), so memory stays flat for a
million rows; duplicates are found by the database. One malformed row stops the import with its
line number, and nothing changes: the whole import is one transaction that the caller commits.
A successful import replaces the edition's register.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from pb.accounts.models import User
from pb.audit import chain as audit
from pb.core.errors import InvalidInput
from pb.core.extensions import db
from pb.editions.districts import District
from pb.editions.models import Edition, EligibilityPolicy
from pb.editions.operations import lock_edition
from pb.voting import identity
from pb.voting.eligibility import local_today, normalise_factor, pepper
from pb.voting.models import VoterRegistryEntry

BATCH = 5_000
ID_HEADERS = {"id_number", "national_id", "rodne_cislo", "rodné číslo", "rc", "pesel", "id"}
DATE_HEADERS = {"birth_date", "datum_narozeni", "datum narození", "data_urodzenia", "born"}
DISTRICT_HEADERS = {"district", "obvod", "městská část", "mestska_cast", "dzielnica"}
FACTOR_HEADERS = {
    "factor",
    "second_factor",
    "id_card",
    "id_card_number",
    "cislo_op",
    "číslo op",
    "číslo občanského průkazu",
    "access_code",
    "pristupovy_kod",
    "přístupový kód",
    "kod_dostepu",
    "numer_dowodu",
}


class RegistryRowError(InvalidInput):
    """A row that cannot be imported; the message names the line."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(_("Line %(line)d: %(problem)s", line=line, problem=problem), field="file")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class ImportReport:
    edition_slug: str
    residents: int
    replaced: int
    sha256: str


class _Hashing:
    """Passes lines through to the CSV reader and hashes them, to record which file was imported."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.digest.update(line.encode("utf-8"))
        return line


def _parse_date(value: str) -> date:
    value = value.strip()
    if "." in value:
        day, month, year = (int(part) for part in value.split("."))
        return date(year, month, day)
    return date.fromisoformat(value)


def _columns(header: list[str], line: int) -> tuple[int, int, int | None, int | None]:
    names = [cell.strip().lower().lstrip("\ufeff") for cell in header]

    def find(candidates: set[str]) -> int | None:
        for index, name in enumerate(names):
            if name in candidates:
                return index
        return None

    id_column, date_column = find(ID_HEADERS), find(DATE_HEADERS)
    if id_column is None or date_column is None:
        raise RegistryRowError(
            line,
            _(
                "the header must name the ID number and birth date columns "
                "(id_number, birth_date, district)"
            ),
        )
    return id_column, date_column, find(DISTRICT_HEADERS), find(FACTOR_HEADERS)


def _district_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for district_id, code, name in db.session.execute(
        select(District.id, District.code, District.name)
    ):
        lookup[code.strip().lower()] = district_id
        lookup[name.strip().lower()] = district_id
    return lookup


def _records(reader) -> Iterator[list[str]]:
    """The CSV reader's records; a line it cannot read (a field beyond the CSV module's limit,
    a NUL byte) stops the import with the line's number instead of a crash."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                problem = _(
                    "a field is longer than %(n)d characters; this is not a register of residents",
                    n=csv.field_size_limit(),
                )
            else:
                problem = _("the line cannot be read as CSV (%(detail)s)", detail=str(error))
            raise RegistryRowError(max(reader.line_num, 1), problem) from None


def _rows(
    scheme: str,
    secret: str,
    districts: dict[str, int],
    lines: Iterable[str],
    today: date,
    factor_required: bool = True,
) -> Iterator[tuple]:
    """(line, voter key, birth year, district id, factor hash) for every resident, checking each
    row.

    It reads nothing from the database: on PostgreSQL it runs while the connection is busy
    with COPY.
    """
    parse = identity.parser_for(scheme)
    key = identity.keyer(secret)
    first = True
    residents = 0
    iterator = iter(lines)
    try:
        sample = next(iterator)
    except StopIteration:
        raise RegistryRowError(1, _("the file is empty")) from None
    delimiter = ";" if sample.count(";") > sample.count(",") else ","

    def chained() -> Iterator[str]:
        yield sample
        yield from iterator

    reader = csv.reader(chained(), delimiter=delimiter)
    # Without a header the columns stand in this order; a header may leave out the last two.
    id_column: int
    date_column: int
    district_column: int | None
    factor_column: int | None
    id_column, date_column, district_column, factor_column = 0, 1, 2, 3
    for cells in _records(reader):
        line = reader.line_num
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if first:
            first = False
            head = cells[0].strip().lstrip("\ufeff").replace("/", "").replace(" ", "")
            if not head.isdigit():
                id_column, date_column, district_column, factor_column = _columns(cells, line)
                if factor_column is None and factor_required:
                    raise RegistryRowError(
                        line,
                        _(
                            "the register must carry a second factor: a column id_card (the "
                            "identity-card number) or access_code (the code mailed to the resident)"
                        ),
                    )
                continue
        if len(cells) <= max(id_column, date_column):
            raise RegistryRowError(
                line, _("expected an ID number, a birth date and a district, separated by commas")
            )
        try:
            national_id = parse(cells[id_column], today)
        except identity.InvalidIdNumber as error:
            raise RegistryRowError(
                line, _("the ID number is not valid (%(detail)s)", detail=error.detail)
            ) from None
        try:
            born = _parse_date(cells[date_column])
        except (ValueError, OverflowError):  # a year too large for the calendar overflows
            raise RegistryRowError(
                line,
                _(
                    "the birth date “%(value)s” is not a date (use 1971-03-19 or 19.3.1971)",
                    value=cells[date_column].strip(),
                ),
            ) from None
        if born != national_id.birth_date:
            raise RegistryRowError(
                line,
                _(
                    "the birth date %(given)s does not match the ID number, which gives %(encoded)s",
                    given=born.isoformat(),
                    encoded=national_id.birth_date.isoformat(),
                ),
            )
        district_id = None
        if district_column is not None and district_column < len(cells):
            name = cells[district_column].strip().lower()
            if name:
                district_id = districts.get(name)
                if district_id is None:
                    raise RegistryRowError(
                        line,
                        _(
                            "the district “%(name)s” is not one of the city's districts",
                            name=cells[district_column].strip(),
                        ),
                    )
        factor = None
        if factor_column is not None and factor_column < len(cells):
            factor = normalise_factor(cells[factor_column]) or None
        if factor is None and factor_required:
            raise RegistryRowError(
                line,
                _("the second factor (identity-card number or access code) is missing"),
            )
        voter_key = key(national_id.key_material)
        factor_digest = key(f"factor:{voter_key}:{factor}") if factor else None
        residents += 1
        yield line, voter_key, born.year, district_id, factor_digest
    if not residents:
        raise RegistryRowError(reader.line_num or 1, _("the file has no residents"))


def import_registry(
    edition: Edition, lines: Iterable[str], *, actor: User | None, now: datetime
) -> ImportReport:
    """Replace the edition's register with the residents in `lines` (a text stream or lines)."""
    edition = lock_edition(edition)  # a schedule move waits for the import, and the other way
    if edition.eligibility_policy == EligibilityPolicy.CONTACT:
        raise InvalidInput(
            _("This edition does not use a register of residents; change its policy first."),
            field="edition",
        )
    edition.assert_rules_open(_("The register of residents"), now, field="edition")
    hashing = _Hashing(lines)
    rows = _rows(
        edition.id_scheme.value,
        pepper(),
        _district_lookup(),
        hashing,
        local_today(edition, now),
        factor_required=edition.eligibility_policy == EligibilityPolicy.REGISTRY,
    )
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    raw = connection.connection.driver_connection
    assert raw is not None  # the session's connection, checked out just above, is live
    stage = "pg_temp.pb_registry_stage" if postgres else "temp.pb_registry_stage"
    connection.execute(text(f"DROP TABLE IF EXISTS {stage}"))  # left by an earlier import
    connection.execute(
        text(
            "CREATE TEMP TABLE pb_registry_stage (line integer, voter_key varchar(64), "
            "birth_year integer, district_id integer, factor_hash varchar(64))"
            + (" ON COMMIT DROP" if postgres else "")
        )
    )
    try:
        if postgres:
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    "COPY pb_registry_stage (line, voter_key, birth_year, district_id, factor_hash)"
                    " FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            cursor = raw.cursor()
            batch: list[tuple] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(
                        "INSERT INTO pb_registry_stage VALUES (?, ?, ?, ?, ?)", batch
                    )
                    batch.clear()
            if batch:
                cursor.executemany("INSERT INTO pb_registry_stage VALUES (?, ?, ?, ?, ?)", batch)
            cursor.close()
        replaced = db.session.scalar(
            select(func.count())
            .select_from(VoterRegistryEntry)
            .where(VoterRegistryEntry.edition_id == edition.id)
        )
        connection.execute(
            text("DELETE FROM voter_registry_entry WHERE edition_id = :e"), {"e": edition.id}
        )
        try:
            # In key order the unique index grows at its end instead of all over; the unique
            # constraint finds a repeated ID number, and only then is the file searched for it.
            with connection.begin_nested():
                connection.execute(
                    text(
                        "INSERT INTO voter_registry_entry"
                        " (edition_id, voter_key, birth_year, district_id, factor_hash)"
                        " SELECT :e, voter_key, birth_year, district_id, factor_hash"
                        " FROM pb_registry_stage"
                        " ORDER BY voter_key"
                    ),
                    {"e": edition.id},
                )
        except IntegrityError:
            duplicate = connection.execute(
                text(
                    "SELECT line, first_line FROM ("
                    " SELECT line, min(line) OVER (PARTITION BY voter_key) AS first_line"
                    " FROM pb_registry_stage) s WHERE line <> first_line ORDER BY line LIMIT 1"
                )
            ).first()
            if duplicate is None:
                raise
            raise RegistryRowError(
                duplicate.line,
                _("the same ID number is already on line %(first)d", first=duplicate.first_line),
            ) from None
        residents = connection.execute(text("SELECT count(*) FROM pb_registry_stage")).scalar_one()
        connection.execute(text(f"DROP TABLE {stage}"))
    finally:
        if not postgres:  # PostgreSQL drops it with the rolled-back transaction
            connection.execute(text("DROP TABLE IF EXISTS temp.pb_registry_stage"))
    digest = hashing.digest.hexdigest()
    audit.record(
        actor,
        "registry.import",
        edition,
        before={"residents": replaced},
        after={"residents": residents, "file_sha256": digest},
        now=now,
    )
    return ImportReport(edition.slug, int(residents), int(replaced or 0), digest)
