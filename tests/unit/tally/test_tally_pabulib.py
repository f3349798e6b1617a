"""Pabulib files: what real files contain is read, what is malformed is refused with the
section, the line and the problem, writing then reading gives the same file, and the files
we write pass the format's own checker (the pabulib-checker package)."""

from __future__ import annotations

import contextlib
import io
from fractions import Fraction

import pytest

from pb.tally import (
    PabulibFormatError,
    VoteType,
    format_pabulib,
    load_election,
    pabulib_from_election,
    read_pabulib,
    tally,
)
from pb.tally.pabulib import count_mismatches, election_from_file

from .conftest import make_election

QUIRKY = (
    "\ufeffMETA\r\n"
    "key;value\r\n"
    "description;Quirks of real files\r\n"
    "country;Poland\r\n"
    "unit;Testowo\r\n"
    "instance;2024\r\n"
    "num_projects;3\r\n"
    "num_votes;4\r\n"
    "budget;1000.5\r\n"
    "vote_type;approval\r\n"
    "rule;greedy\r\n"
    "\r\n"
    "PROJECTS\r\n"
    "project_id;cost;votes;name;selected\r\n"
    '1;400.0;2;"Park; with a fountain";1\r\n'
    '2;600;2;"He said ""hi""";1\r\n'
    "3;700;1;Plain;0\r\n"
    "VOTES\r\n"
    "voter_id;vote\r\n"
    "a;1,2\r\n"
    "b;\r\n"
    "c;2,3,1\r\n"
    "d;;\r\n"
)


def test_reads_bom_windows_line_ends_quotes_decimal_costs_and_empty_votes(tmp_path):
    path = tmp_path / "quirky.pb"
    path.write_text(QUIRKY, encoding="utf-8", newline="")
    loaded = load_election(path)
    election = loaded.election
    assert election.budget == 1000  # costs are whole, so .5 of a unit can never be spent
    assert [(p.id, p.cost) for p in election.projects] == [("1", 400), ("2", 600), ("3", 700)]
    assert election.voter_count == 4  # the empty votes are voters too
    assert loaded.file.project_column("name") == {
        "1": "Park; with a fountain",
        "2": 'He said "hi"',
        "3": "Plain",
    }
    assert loaded.rule == "greedy"
    assert loaded.file.official_selection() == ("1", "2")
    assert count_mismatches(loaded) == []
    assert tally(election, "greedy").selected == ("1", "2")


def test_reads_every_vote_type_with_exact_points(tmp_path):
    text = QUIRKY.replace("vote_type;approval", "vote_type;cumulative").replace(
        "voter_id;vote\r\n", "voter_id;vote;points\r\n"
    )
    text = text.replace("a;1,2\r\n", "a;1,2;2,1.5\r\n").replace("c;2,3,1\r\n", "c;3,3;1,1\r\n")
    text = text.replace("d;;\r\n", "d;;\r\n")
    path = tmp_path / "cumulative.pb"
    path.write_text(text, encoding="utf-8")
    election = load_election(path).election
    assert election.vote_type is VoteType.CUMULATIVE
    points = {b.projects: b.points for b in election.ballots}
    assert points[(0, 1)] == (2, Fraction(3, 2))
    assert points[(2,)] == (2,)  # "3,3" with "1,1": a project listed twice adds its points


def write(tmp_path, text: str):
    path = tmp_path / "bad.pb"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "section", "line", "problem"),
    [
        (("c;2,3,1", "c;2,9,1"), "VOTES", 22, "project '9', which is not in PROJECTS"),
        (("c;2,3,1", "a;2,3,1"), "VOTES", 22, "voter 'a' appears twice"),
        (("c;2,3,1", "c;2,3,2"), "VOTES", 22, "same project more than once"),
        (("3;700;1", "3;700.25;1"), "PROJECTS", 17, "not a whole number"),
        (("3;700;1", "3;-700;1"), "PROJECTS", 17, "negative"),
        (("3;700;1", "2;700;1"), "PROJECTS", 17, "project '2' appears twice"),
        (("3;700;1;Plain;0", "3;700;1;Plain;0;extra"), "PROJECTS", 17, "has 6 fields"),
        (("budget;1000.5", "budget;a lot"), "META", 9, "budget 'a lot' is not a number"),
        (("vote_type;approval", "vote_type;range"), "META", 10, "unknown vote_type"),
        (("key;value", "name;value"), "META", 2, "key;value"),
        (("VOTES\r\nvoter_id;vote", "VOTES\r\nvote;voter_id"), "VOTES", 19, "voter_id"),
        (("PROJECTS\r\n", "VOTES\r\n"), "VOTES", 13, "order META, PROJECTS, VOTES"),
        (("\ufeffMETA\r\n", ""), "file", 1, "must start with META"),
    ],
)
def test_malformed_files_are_refused_naming_section_line_and_problem(
    tmp_path, change, section, line, problem
):
    path = write(tmp_path, QUIRKY.replace(*change))
    with pytest.raises(PabulibFormatError) as raised:
        load_election(path)
    error = raised.value
    assert (error.section, error.line) == (section, line)
    assert problem in str(error)
    assert str(error).startswith(f"{section}, line {line}: ")


def test_a_missing_section_is_named(tmp_path):
    path = write(tmp_path, QUIRKY.split("VOTES")[0])
    with pytest.raises(PabulibFormatError, match="VOTES.*section is missing"):
        load_election(path)


def test_cumulative_file_without_points_is_refused(tmp_path):
    path = write(tmp_path, QUIRKY.replace("vote_type;approval", "vote_type;cumulative"))
    with pytest.raises(PabulibFormatError, match="needs a points column"):
        load_election(path)


def test_write_then_read_gives_the_same_file_and_the_same_election(tmp_path):
    path = tmp_path / "quirky.pb"
    path.write_text(QUIRKY, encoding="utf-8", newline="")
    original = read_pabulib(path)
    again = read_pabulib(io.StringIO(format_pabulib(original)))
    assert again == original
    assert election_from_file(again) == load_election(path).election


def checker_errors(content: str) -> dict:
    from pabulib import Checker

    with contextlib.redirect_stdout(io.StringIO()):
        report = Checker().process_files([content])
    (name,) = [key for key in report if key not in ("metadata", "summary")]
    return report[name]["results"]["errors"]


META = {
    "description": "Participatory budget, test district",
    "country": "Czechia",
    "unit": "Liberec",
    "instance": "2026",
    "date_begin": "01.05.2026",
    "date_end": "31.05.2026",
    "language": "cs",
    "currency": "CZK",
}


@pytest.mark.parametrize(
    ("vote_type", "ballots", "rule", "extra"),
    [
        ("approval", [["A", "B"], ["A"], ["C"], ["B", "C"], ["A", "C"]], "greedy", {}),
        ("approval", [["A", "B"], ["A"], ["C"], ["B", "C"], ["A", "C"]], "equalshares/add1", {}),
        ("choose-1", [["A"], ["A"], ["C"], ["B"]], "greedy-no-skip", {}),
        ("cumulative", [{"A": 2, "B": 1}, {"C": 3}, {"B": 3}], "greedy", {"max_sum_points": "3"}),
        ("scoring", [{"A": 1, "B": -1}, {"C": 1}, {"B": 1, "A": 1}], "greedy", {}),
        ("ordinal", [["A", "B", "C"], ["C", "B", "A"], ["B", "A", "C"]], "greedy", {}),
    ],
)
def test_files_we_write_pass_the_pabulib_checker(vote_type, ballots, rule, extra):
    options = {"ordinal_max_length": 3} if vote_type == "ordinal" else {}
    election = make_election(
        {"A": 400, "B": 300, "C": 500}, ballots, budget=900, vote_type=vote_type, **options
    )
    result = tally(election, rule)
    names = {"A": "Lavičky v parku", "B": "Strom; alej", "C": 'Hřiště "U Nisy"'}
    file = pabulib_from_election(election, META | extra, result=result, project_names=names)
    content = format_pabulib(file)
    assert checker_errors(content) == {}
    again = read_pabulib(io.StringIO(content))
    assert again == file
    assert election_from_file(again) == election
    assert again.official_selection() == tuple(sorted(result.selected))


def test_the_checker_would_notice_a_wrong_selection():
    election = make_election({"A": 400, "B": 300, "C": 500}, [["A"], ["A"], ["B"]], budget=900)
    result = tally(election, "greedy")
    file = pabulib_from_election(election, META, result=result)
    tampered = file.__class__(
        meta=file.meta,
        project_columns=file.project_columns,
        projects=tuple(row[:-1] + ("1" if row[0] == "C" else "0",) for row in file.projects),
        vote_columns=file.vote_columns,
        votes=file.votes,
    )
    assert "greedy rule not followed" in checker_errors(format_pabulib(tampered))
