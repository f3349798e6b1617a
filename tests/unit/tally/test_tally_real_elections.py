"""Real elections from Pabulib: our rules give the cities' official outcomes.

For every file whose META rule the engine implements, the selection must equal the file's
`selected` column (1: funded within the budget; 2: funded from a reserve, greedy-custom).
Where a city's outcome differs for a reason outside the rule, the file is listed in
KNOWN_EXCEPTIONS with the reason, and the test proves the reason (and fails if the exception
is no longer needed). Covers ../shared/data/pabulib and ../shared/data/pabulib-more (or
PB_PABULIB_DIR and PB_PABULIB_MORE_DIR); each folder that is absent is skipped cleanly.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pb.tally import RULES, format_pabulib, load_election, read_pabulib, recount
from pb.tally.pabulib import count_mismatches, election_from_file

from .conftest import pabulib_dir, pabulib_folders

pytestmark = pytest.mark.realdata

FOLDER = pabulib_dir()
PATHS = sorted(
    (p for folder in pabulib_folders() for p in folder.glob("*.pb")), key=lambda p: p.name
)
FILES = [p.name for p in PATHS]
BY_NAME = {p.name: p for p in PATHS}
NO_FILES = pytest.param(
    None,
    marks=pytest.mark.skip(
        reason="no Pabulib files in ../shared/data/pabulib or ../shared/data/pabulib-more "
        "(set PB_PABULIB_DIR, PB_PABULIB_MORE_DIR)"
    ),
)
ALL_FILES = FILES or [NO_FILES]

KNOWN_EXCEPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Poland_Wroclaw_2017_Rejon_nr_11_750.pb": (
        "Project 150 (454 votes, first place) was withdrawn after the voting (META comment #1);"
        " Pabulib gives it the artificial cost 999 999 999. Greedy-no-skip stops at the first"
        " project that does not fit, so by the rule nothing is funded; the city skipped the"
        " withdrawn project and funded the next one, 425.",
        ("150",),  # withdrawing these reproduces the city's outcome
    ),
}


KNOWN_COUNT_QUIRKS: dict[str, tuple[str, list[str]]] = {
    "Poland_Czestochowa_2020.pb": (
        "One voter lists project 579 four times with 1 point each (4 points). The score column"
        " agrees with the ballots; the votes column counts listings (704), not voters (701).",
        ["votes of 579: file says 704, ballots 701"],
    ),
}


def official_files() -> list:
    """Files with an official outcome (`selected`) and a rule we implement.

    Reads META and the PROJECTS header as rows (a `PROJECTS` inside a META comment is not the
    section), without the engine, so that a file the engine cannot read is still listed."""
    chosen = []
    for name in FILES:
        rule, columns = file_rule_and_project_columns(BY_NAME[name])
        if "selected" in columns and rule in RULES:
            chosen.append(name)
    return chosen or [NO_FILES]


def file_rule_and_project_columns(path: Path) -> tuple[str, list[str]]:
    rule = ""
    with path.open(encoding="utf-8-sig") as stream:
        for line in stream:
            cells = [c.strip() for c in line.rstrip("\r\n").split(";")]
            if cells[0] == "rule" and len(cells) > 1:
                rule = cells[1]
            if cells[0] == "PROJECTS" and not any(cells[1:]):
                header = next(stream).rstrip("\r\n").split(";")
                return rule, [c.strip().lower() for c in header]
    return rule, []


def test_official_files_finds_projects_as_a_section_not_inside_a_comment(tmp_path):
    path = tmp_path / "comment.pb"
    path.write_text(
        "META\nkey;value\ncomment;PROJECTS were counted by hand\nrule;greedy\n"
        "PROJECTS\nproject_id;cost;votes;selected\n1;10;1;1\nVOTES\nvoter_id;vote\n1;1\n",
        encoding="utf-8",
    )
    assert file_rule_and_project_columns(path) == (
        "greedy",
        ["project_id", "cost", "votes", "selected"],
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", official_files())
def test_official_outcome_is_reproduced_by_the_files_rule(name):
    loaded = load_election(BY_NAME[name])
    official = set(loaded.file.official_selection() or ())
    result = recount(loaded)
    assert set(result.reserve) == set(loaded.official_reserve())
    if name in KNOWN_EXCEPTIONS:
        reason, withdrawn = KNOWN_EXCEPTIONS[name]
        assert set(result.selected) != official, f"{name} no longer needs its exception"
        assert set(recount(loaded, withdrawn=withdrawn).selected) == official, reason
        return
    assert set(result.selected) == official
    assert result.spent <= result.budget


def test_known_exceptions_name_real_files():
    if not FILES:
        pytest.skip("no Pabulib files")
    assert set(KNOWN_EXCEPTIONS) <= set(FILES)


def test_both_folders_are_covered_when_present():
    for folder in pabulib_folders():
        names = {p.name for p in folder.glob("*.pb")}
        assert names <= set(FILES)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ALL_FILES)
def test_scores_counted_from_the_ballots_agree_with_the_files_columns(name):
    loaded = load_election(BY_NAME[name])
    expected = KNOWN_COUNT_QUIRKS.get(name, ("", []))[1]
    assert count_mismatches(loaded) == expected
    assert loaded.election.voter_count == int(loaded.file.meta_map["num_votes"])


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ALL_FILES)
def test_every_real_file_survives_write_then_read(name):
    path: Path = BY_NAME[name]
    original = read_pabulib(path)
    again = read_pabulib(io.StringIO(format_pabulib(original)))
    assert again == original
    assert election_from_file(again) == load_election(path).election
