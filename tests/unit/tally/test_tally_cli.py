"""`flask pb tally FILE.pb`: the click command works without an application context."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pb.results.tally_cli import tally_command
from pb.tally import format_pabulib, pabulib_from_election, tally

from .conftest import make_election

META = {"description": "CLI test", "country": "Poland", "unit": "Testowo", "instance": "2026"}


def write_file(tmp_path, rule="greedy"):
    election = make_election(
        {"A": 60, "B": 50, "C": 30}, [["A"], ["A"], ["A", "C"], ["B"], ["B"]], budget=100
    )
    file = pabulib_from_election(election, META | {"rule": rule})
    path = tmp_path / "election.pb"
    path.write_text(format_pabulib(file), encoding="utf-8")
    return path, election


def test_json_is_one_object_with_the_promised_shape(tmp_path):
    path, election = write_file(tmp_path)
    outcome = CliRunner().invoke(tally_command, [str(path), "--json"])
    assert outcome.exit_code == 0, outcome.output
    data = json.loads(outcome.output)
    assert set(data) == {
        "rule",
        "budget",
        "selected",
        "funded_from_reserve",
        "spent",
        "notes",
        "projects",
    }
    assert data["funded_from_reserve"] == [] and data["notes"] == []
    assert data["rule"] == "greedy"  # from the file's META
    assert data["budget"] == 100
    assert data["selected"] == ["A", "C"]
    assert data["spent"] == 90
    assert [set(p) for p in data["projects"]] == [{"id", "cost", "score", "selected", "reason"}] * 3
    b = next(p for p in data["projects"] if p["id"] == "B")
    assert b["selected"] is False
    assert b["reason"] == {
        "code": "did_not_fit",
        "text": "not selected: costs 50, did not fit the remaining 40",
        "values": {"cost": 50, "remaining": 40},
    }
    assert data["selected"] == list(tally(election, "greedy").selected)


def test_rule_option_overrides_the_file_and_fractions_stay_exact(tmp_path):
    path, _ = write_file(tmp_path)
    outcome = CliRunner().invoke(tally_command, [str(path), "--rule", "equalshares", "--json"])
    assert outcome.exit_code == 0, outcome.output
    assert json.loads(outcome.output)["rule"] == "equalshares"

    thirds = make_election({"X": 10}, [["X"], ["X"], ["X"]], budget=10)
    third_path = tmp_path / "thirds.pb"
    third_path.write_text(format_pabulib(pabulib_from_election(thirds, META)), encoding="utf-8")
    outcome = CliRunner().invoke(
        tally_command, [str(third_path), "--rule", "equalshares", "--json"]
    )
    (x,) = json.loads(outcome.output)["projects"]
    assert x["reason"]["values"]["price_per_supporter"] == "10/3"
    assert "3.33 each" in x["reason"]["text"]


def test_table_lists_winners_and_every_projects_reason(tmp_path):
    path, _ = write_file(tmp_path)
    outcome = CliRunner().invoke(tally_command, [str(path)])
    assert outcome.exit_code == 0, outcome.output
    assert "winners (2): A, C" in outcome.output
    assert "not selected: costs 50, did not fit the remaining 40" in outcome.output
    assert "left 10" in outcome.output


def test_errors_are_reported_without_a_traceback(tmp_path):
    path, _ = write_file(tmp_path)
    outcome = CliRunner().invoke(tally_command, [str(path), "--rule", "borda"])
    assert outcome.exit_code == 1
    assert "unknown rule 'borda'" in outcome.output
    broken = tmp_path / "broken.pb"
    broken.write_text(path.read_text().replace("\n3;A,C", "\n3;A,Z"))
    outcome = CliRunner().invoke(tally_command, [str(broken)])
    assert outcome.exit_code == 1
    assert "VOTES, line" in outcome.output and "'Z'" in outcome.output
    assert "Traceback" not in outcome.output


def test_withdraw_and_tie_break_options(tmp_path):
    path, _ = write_file(tmp_path)
    outcome = CliRunner().invoke(tally_command, [str(path), "--withdraw", "A", "--json"])
    assert json.loads(outcome.output)["selected"] == ["B", "C"]
    outcome = CliRunner().invoke(tally_command, [str(path), "--tie-break", "fewest-votes"])
    assert outcome.exit_code == 1 and "unknown tie-break" in outcome.output


def test_reserve_project_is_reported_under_its_own_key_not_in_selected(tmp_path):
    election = make_election({"A": 60, "B": 50}, [["A"], ["A"], ["B"]], budget=100)
    file = pabulib_from_election(election, META | {"rule": "greedy-custom"})
    path = tmp_path / "poznan.pb"
    path.write_text(format_pabulib(file), encoding="utf-8")
    outcome = CliRunner().invoke(tally_command, [str(path), "--json"])
    data = json.loads(outcome.output)
    assert data["selected"] == ["A"]
    assert data["funded_from_reserve"] == ["B"]  # 40 of 50 left: 80%
    b = next(p for p in data["projects"] if p["id"] == "B")
    assert b["reason"]["text"].startswith("funded from the reserve: 80% of its cost was left")
    text = CliRunner().invoke(tally_command, [str(path)]).output
    assert "funded from the reserve (1): B" in text


def test_pb_tally_prints_what_flask_pb_tally_prints(tmp_path, capsys):
    from pb.tally.cli import main

    path, _ = write_file(tmp_path)
    for extra in ([], ["--json"], ["--explain"], ["--json", "--explain", "--rule", "equalshares"]):
        flask_output = CliRunner().invoke(tally_command, [str(path), *extra]).output
        assert main([str(path), *extra]) == 0
        assert capsys.readouterr().out == flask_output


def test_pb_tally_reports_errors_in_one_line_with_status_1(tmp_path, capsys):
    from pb.tally.cli import main

    path, _ = write_file(tmp_path)
    assert main([str(path), "--rule", "borda"]) == 1
    assert "unknown rule 'borda'" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.pb")]) == 1
    assert "cannot be read" in capsys.readouterr().err


@pytest.mark.alone
def test_pb_tally_runs_alone_quickly_without_flask_or_sqlalchemy(tmp_path):
    path, _ = write_file(tmp_path)
    root = Path(__file__).resolve().parents[3]
    script = (
        "import sys, time; start = time.perf_counter()\n"
        "from pb.tally.cli import main\n"
        f"code = main([{str(path)!r}, '--json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'werkzeug', 'click', 'config'))\n"
        "print('TIME', time.perf_counter() - start, 'HEAVY', heavy, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=30
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["selected"] == ["A", "C"]
    assert "HEAVY []" in done.stderr
    assert elapsed < 1.0  # loosely: the budget is 0.3 s on a quiet machine
    done = subprocess.run(
        [sys.executable, "-m", "pb.tally.cli", str(path)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and "winners (2): A, C" in done.stdout
