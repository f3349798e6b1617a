"""Importing the register of residents: only keyed hashes stored, a faulty line changes nothing,
and a million residents in under a minute with flat memory."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pb.audit.models import AuditEntry
from pb.core.errors import InvalidInput, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import EligibilityPolicy, IdScheme, Phase
from pb.voting import eligibility
from pb.voting.models import VoterRegistryEntry
from pb.voting.registry import RegistryRowError, import_registry
from tests.factories import make_district, make_edition
from tests.factories_voting import (
    birth_number,
    id_card_of,
    key_of,
    make_voting_edition,
    now_utc,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401

pytestmark = pytest.mark.usefixtures("ballot_box_invariant")
ROOT = Path(__file__).resolve().parents[2]


def entries(edition) -> list[tuple]:
    return list(
        db.session.execute(
            select(
                VoterRegistryEntry.voter_key,
                VoterRegistryEntry.birth_year,
                VoterRegistryEntry.district_id,
            )
            .where(VoterRegistryEntry.edition_id == edition.id)
            .order_by(VoterRegistryEntry.birth_year)
        ).all()
    )


def before_voting(edition):
    """The register is imported before voting opens; from then on it is frozen."""
    return edition.voting_starts_at - timedelta(hours=1)


def registry_edition_before_voting(**overrides):
    """For the command line, which reads the real clock: an edition still in its appeals."""
    fields = dict(eligibility_policy=EligibilityPolicy.REGISTRY, id_scheme=IdScheme.RODNE_CISLO)
    fields.update(overrides)
    return make_edition(Phase.APPEAL, now=now_utc(), **fields)


def registry_edition(**overrides):
    fields = dict(eligibility_policy=EligibilityPolicy.REGISTRY)
    fields.update(overrides)
    return make_voting_edition(**fields)


def test_an_import_stores_only_keyed_hashes_birth_years_and_districts(app, backend):
    edition = registry_edition()
    district = make_district(code="vratislavice", name="Vratislavice nad Nisou")
    a, b = birth_number(date(1971, 3, 19)), birth_number(date(1985, 12, 4), female=True)
    csv = (
        "\ufeffrodne_cislo;datum_narozeni;obvod;cislo_op\n"
        f"{a[:6]}/{a[6:]};19.3.1971;Vratislavice nad Nisou;{id_card_of(a)}\n"
        "\n"
        f"{b};1985-12-04;;{id_card_of(b)}\n"
    )
    report = import_registry(edition, io.StringIO(csv), actor=None, now=before_voting(edition))
    db.session.commit()
    assert (report.residents, report.replaced) == (2, 0)
    assert entries(edition) == [(key_of(a), 1971, district.id), (key_of(b), 1985, None)]
    stored = " ".join(str(v) for row in db.session.execute(select(VoterRegistryEntry)) for v in row)
    assert a not in stored and b not in stored
    assert id_card_of(a) not in stored and id_card_of(b) not in stored
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registry.import"))
    assert report.sha256 in audit.after and '"residents":2' in audit.after


def test_a_file_without_a_header_is_read_in_the_documented_order(app, backend):
    edition = registry_edition()
    number = birth_number(date(1990, 1, 2))
    report = import_registry(
        edition,
        [f"{number},1990-01-02,,{id_card_of(number)}\n"],
        actor=None,
        now=before_voting(edition),
    )
    assert report.residents == 1


def test_pesel_registers_are_checked_as_pesel(app, backend):
    edition = registry_edition(id_scheme=IdScheme.PESEL)
    report = import_registry(
        edition,
        ["pesel,birth_date,numer_dowodu\n", "02211307589,2002-01-13,ABC123456\n"],
        actor=None,
        now=before_voting(edition),
    )
    assert report.residents == 1


def test_a_new_import_replaces_the_register(app, backend):
    edition = registry_edition()
    first, second = birth_number(date(1970, 1, 1)), birth_number(date(1971, 1, 1))
    import_registry(edition, [f"{first},1970-01-01,,OP1\n"], actor=None, now=before_voting(edition))
    report = import_registry(
        edition, [f"{second},1971-01-01,,OP2\n"], actor=None, now=before_voting(edition)
    )
    db.session.commit()
    assert report.replaced == 1
    assert entries(edition) == [(key_of(second), 1971, None)]


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        ("7103192746,1971-03-19,,OP1", "Line 4: the ID number is not valid"),
        ("{ok},19/03/1971,,OP1", "Line 4: the birth date “19/03/1971” is not a date"),
        ("{ok},1971-03-20,,OP1", "does not match the ID number, which gives 1971-03-19"),
        ("{ok},1971-03-19,Atlantis,OP1", "Line 4: the district “Atlantis”"),
        ("{ok}", "Line 4: expected an ID number, a birth date and a district"),
        ("{first},1971-03-19,,OP1", "Line 4: the same ID number is already on line 2"),
        ("{ok},1971-03-19,,", "Line 4: the second factor (identity-card number or access code)"),
    ],
)
def test_a_faulty_line_is_reported_with_its_number_and_nothing_changes(
    app, backend, bad_line, words
):
    edition = registry_edition()
    kept = birth_number(date(1960, 6, 6))
    import_registry(edition, [f"{kept},1960-06-06,,OP0\n"], actor=None, now=before_voting(edition))
    db.session.commit()
    before = entries(edition)
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))

    first = birth_number(date(1971, 3, 19))
    ok = birth_number(date(1971, 3, 19))
    lines = [
        "id_number,birth_date,district,id_card\n",
        f"{first},1971-03-19,,OP2\n",
        f"{birth_number(date(1971, 3, 19))},1971-03-19,,OP3\n",
        bad_line.format(ok=ok, first=first) + "\n",
        f"{birth_number(date(1972, 3, 19))},1972-03-19,,OP5\n",
    ]
    with pytest.raises(RegistryRowError) as refused:
        import_registry(edition, lines, actor=None, now=before_voting(edition))
    db.session.rollback()
    assert words in refused.value.message
    assert refused.value.line == 4
    assert entries(edition) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_an_empty_file_or_a_wrong_header_is_refused(app, backend):
    edition = registry_edition()
    db.session.commit()  # each refusal below rolls back; the edition stays
    with pytest.raises(RegistryRowError, match="empty"):
        import_registry(edition, [], actor=None, now=before_voting(edition))
    db.session.rollback()
    with pytest.raises(RegistryRowError, match="header"):
        import_registry(edition, ["name,street\n", "a,b\n"], actor=None, now=before_voting(edition))
    db.session.rollback()
    with pytest.raises(RegistryRowError, match="no residents"):
        import_registry(
            edition, ["id_number,birth_date,id_card\n"], actor=None, now=before_voting(edition)
        )
    db.session.rollback()
    # The registry policy needs the factor the resident holds: the birth date proves nothing.
    with pytest.raises(RegistryRowError, match="second factor"):
        import_registry(
            edition,
            ["id_number,birth_date\n", "7103192745,1971-03-19\n"],
            actor=None,
            now=before_voting(edition),
        )


def test_a_declaration_edition_takes_a_register_without_the_factor_to_check_declarations(
    app, backend
):
    edition = make_voting_edition(eligibility_policy=EligibilityPolicy.DECLARATION)
    report = import_registry(
        edition,
        ["id_number,birth_date\n", "7103192745,1971-03-19\n"],
        actor=None,
        now=before_voting(edition),
    )
    assert report.residents == 1


def test_only_register_editions_before_voting_opens_take_a_register(app, backend):
    # The contact policy has no ID numbers to check; registry and declaration editions take one.
    with pytest.raises(InvalidInput):
        import_registry(
            make_voting_edition(eligibility_policy=EligibilityPolicy.CONTACT),
            ["7103192745,1971-03-19,,OP1\n"],
            actor=None,
            now=now_utc(),
        )
    edition = registry_edition()
    for moment, reason in (
        (edition.voting_starts_at, "voting has opened"),
        (edition.voting_ends_at + timedelta(seconds=1), "voting has ended"),
    ):
        with pytest.raises(
            PhaseClosed, match=f"register of residents can no longer change: {reason}"
        ):
            import_registry(edition, ["7103192745,1971-03-19,\n"], actor=None, now=moment)
    assert entries(edition) == []


def test_a_huge_field_is_refused_with_its_line_and_nothing_changes(app, backend):
    edition = registry_edition()
    kept = birth_number(date(1960, 6, 6))
    import_registry(edition, [f"{kept},1960-06-06,,OP0\n"], actor=None, now=before_voting(edition))
    db.session.commit()
    good = birth_number(date(1971, 3, 19))
    lines = [f"{good},1971-03-19,,OP1\n", "x" * 1_000_000 + ",1971-03-19,,OP2\n"]
    with pytest.raises(RegistryRowError, match="Line 2: a field is longer than"):
        import_registry(edition, lines, actor=None, now=before_voting(edition))
    db.session.rollback()
    assert entries(edition) == [(key_of(kept), 1960, None)]


def test_a_nul_byte_in_the_register_is_refused_with_its_line(app, backend):
    edition = registry_edition()
    good = birth_number(date(1971, 3, 19))
    with pytest.raises(RegistryRowError, match="Line 2"):
        import_registry(
            edition,
            [f"{good},1971-03-19,,OP1\n", f"{good}\x00,1971-03-19,,OP2\n"],
            actor=None,
            now=before_voting(edition),
        )


def test_an_imported_resident_can_be_verified(app, backend):
    edition = registry_edition()
    number = birth_number(date(1966, 7, 8))
    import_registry(
        edition, [f"{number},8.7.1966,,OP 12-34 56\n"], actor=None, now=before_voting(edition)
    )
    db.session.commit()
    # The card number as typed: case, spaces and dashes do not matter.
    who = eligibility.verify(edition, id_number=number, factor="op123456", now=now_utc())
    assert who.voter_key == key_of(number)
    with pytest.raises(eligibility.VerificationRefused):
        eligibility.verify(edition, id_number=number, factor="OP123457", now=now_utc())
    with pytest.raises(eligibility.VerificationRefused):
        eligibility.verify(edition, id_number=number, factor="", now=now_utc())


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return _cli_measured(database_url, *args)[0]


# Runs `flask pb ...` and, at exit, writes the process's own VmHWM (peak resident memory) to the
# file named in argv[1]. Not ru_maxrss from wait4: Linux carries the parent's high-water mark
# across fork and exec, so a test run grown to 350 MB would be charged to the child.
_PEAK_REPORTER = """
import atexit, sys
def _report(path=sys.argv[1]):
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            open(path, 'w').write(line.split()[1])
atexit.register(_report)
sys.argv = ['flask'] + sys.argv[2:]
from flask.cli import main
main()
"""


def _cli_measured(database_url: str, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `flask pb ARGS` in a process of its own; its answer and its own peak memory in MB."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        PB_ID_PEPPER="test-pepper",
        FLASK_APP="pb",
        PYTHONPATH=str(ROOT),
    )
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak-kb"
        done = subprocess.run(
            [sys.executable, "-c", _PEAK_REPORTER, str(peak_file), "pb", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else float("nan")
    return done, peak_kb / 1024


def test_the_cli_imports_and_reports_a_faulty_line(app, backend, database_url, tmp_path):
    edition = registry_edition_before_voting()
    db.session.commit()
    good = tmp_path / "good.csv"
    number = birth_number(date(1980, 8, 8))
    good.write_text(
        f"id_number,birth_date,district,id_card\n{number},1980-08-08,,OP808080\n", encoding="utf-8"
    )
    done = _cli(database_url, "registry", "import", str(good), "--edition", edition.slug)
    assert done.returncode == 0, done.stderr
    assert "Imported 1 residents" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id_number,birth_date,id_card\n7103192745,1971-03-19,OP1\n123,1971-03-19,OP2\n", "utf-8"
    )
    refused = _cli(database_url, "registry", "import", str(bad), "--edition", edition.slug)
    assert refused.returncode == 1
    # The command speaks the city's language (Czech by default).
    assert "Řádek 3" in refused.stderr and "Nothing was imported" in refused.stderr
    db.session.expire_all()
    assert entries(edition) == [(key_of(number), 1980, None)]


def write_million(path: Path, rows: int) -> None:
    """`rows` distinct valid birth numbers, streamed to disk."""
    start = date(1954, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write("id_number,birth_date,district,id_card\n")
        written = day = serial = 0
        while written < rows:
            born = start + timedelta(days=day)
            female = written % 2 == 1
            month = born.month + (50 if female else 0)
            first_nine = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial:03d}"
            serial += 1
            if serial == 1000:
                serial, day = 0, day + 1
            remainder = int(first_nine) % 11
            if remainder == 10:
                continue
            district = "obvod-8" if written % 8 == 0 else ""
            out.write(f"{first_nine}{remainder},{born.isoformat()},{district},OP{written:07d}\n")
            written += 1


@pytest.mark.slow
@pytest.mark.alone
def test_a_million_residents_import_in_under_a_minute_with_flat_memory(
    app, backend, database_url, tmp_path
):
    edition = registry_edition_before_voting()
    make_district(code="obvod-8", name="Obvod osm")
    db.session.commit()
    path = tmp_path / "million.csv"
    write_million(path, 1_000_000)
    started = time.perf_counter()
    done, peak_mb = _cli_measured(
        database_url, "registry", "import", str(path), "--edition", edition.slug
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "Imported 1000000 residents" in done.stdout
    assert elapsed < 60, f"took {elapsed:.1f} s"
    # The whole process (interpreter, app, drivers) stays small: the file is never held in
    # memory (holding its rows would take several hundred MB).
    assert peak_mb < 250, f"peak memory {peak_mb:.0f} MB"
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(VoterRegistryEntry)
            .where(VoterRegistryEntry.edition_id == edition.id)
        )
        == 1_000_000
    )
