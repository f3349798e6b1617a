"""Building elections: ballots are checked against the vote type, aggregated, and exact."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pb.tally import Election, Project, Reason, ReasonCode, TallyError, count_support
from pb.tally.explain import format_number

from .conftest import make_election


def test_identical_ballots_are_stored_once_with_their_count():
    election = make_election({"A": 1, "B": 1}, [["A", "B"], ["B"], ["A", "B"], []], budget=2)
    assert {(b.projects, b.count) for b in election.ballots} == {((0, 1), 2), ((1,), 1), ((), 1)}
    assert election.voter_count == 4


def test_ballots_given_with_their_counts_build_the_same_election_as_one_by_one():
    projects = [Project("A", 1), Project("B", 1), Project("C", 1)]
    one_by_one = [{"A": 2, "B": 1}, {"C": 3}, {"A": 2, "B": 1}, {"B": 1, "A": 2}, {"C": 3}]
    counted = [({"A": 2, "B": 1}, 2), ({"C": 3}, 2), ({"B": 1, "A": 2}, 1)]
    expected = Election.build(3, projects, one_by_one, "cumulative")
    built = Election.build_counted(3, projects, counted, "cumulative")
    assert built == expected
    assert built.voter_count == 5


@pytest.mark.parametrize("count", [0, -1, True, 1.0])
def test_a_counted_ballot_is_cast_a_whole_number_of_times(count):
    with pytest.raises(TallyError, match="ballot 2 is counted"):
        Election.build_counted(1, [Project("A", 1)], [(["A"], 1), (["A"], count)])


@pytest.mark.parametrize(
    ("vote_type", "ballot", "problem"),
    [
        ("approval", ["A", "Z"], "unknown project 'Z'"),
        ("approval", ["A", "A"], "more than once"),
        ("choose-1", ["A", "B"], "at most one project"),
        ("approval", {"A": 1}, "list of project ids"),
        ("cumulative", ["A"], "points"),
        ("cumulative", {"A": -1}, "cannot be negative"),
        ("scoring", {"A": 0.5}, "whole numbers or fractions"),
        ("ordinal", ["A", "B", "C"], "more than the allowed 2"),
    ],
)
def test_a_ballot_that_breaks_its_vote_type_is_refused_with_its_number(vote_type, ballot, problem):
    first_ballot = {"A": 1} if vote_type in ("cumulative", "scoring") else ["A"]
    with pytest.raises(TallyError, match="ballot 2") as raised:
        make_election(
            {"A": 1, "B": 1, "C": 1},
            [first_ballot, ballot],
            budget=1,
            vote_type=vote_type,
            ordinal_max_length=2 if vote_type == "ordinal" else None,
        )
    assert problem in str(raised.value)


def test_projects_and_budget_are_checked():
    with pytest.raises(TallyError, match="whole number"):
        Project("A", 10.0)  # type: ignore[arg-type]
    with pytest.raises(TallyError, match="negative"):
        Project("A", -1)
    with pytest.raises(TallyError, match="unique"):
        Election.build(10, [Project("A", 1), Project("A", 2)], [])
    with pytest.raises(TallyError, match="budget"):
        Election.build(-1, [Project("A", 1)], [])
    with pytest.raises(TallyError, match="unknown vote type"):
        Election.build(10, [Project("A", 1)], [], "range")


def test_scores_per_vote_type_are_exact():
    cumulative = make_election(
        {"A": 1, "B": 1},
        [{"A": Fraction(1, 2), "B": 2}, {"A": Fraction(1, 2)}],
        budget=1,
        vote_type="cumulative",
    )
    support = count_support(cumulative)
    assert support.scores == (1, 2)
    assert support.supporters == (2, 1)
    ordinal = make_election(
        {"A": 1, "B": 1, "C": 1},
        [["C", "A"]],
        budget=1,
        vote_type="ordinal",
        ordinal_points=(5, 3, 1),
    )
    assert count_support(ordinal).scores == (3, 0, 5)


def test_reason_text_rounds_only_for_display():
    reason = Reason.of(
        ReasonCode.EQUAL_SHARES_BOUGHT,
        round=3,
        price_per_supporter=Fraction(2000, 3),
        supporters=5,
        paying_full_price=3,
    )
    assert reason.value_map["price_per_supporter"] == Fraction(2000, 3)
    assert reason.text == (
        "selected in round 3 of equal shares: its 5 supporters paid 666.67 each "
        "(2 of them had less left and paid all they had)"
    )
    assert format_number(1234567) == "1 234 567"
    assert format_number(Fraction(-5, 8)) == "-0.63"
