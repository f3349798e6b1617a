"""Greedy rules by hand: ties, a project dearer than the budget, exact fits, no votes, one
voter, zero-cost projects, thresholds, the no-skip stop and plus-minus."""

from __future__ import annotations

import pytest

from pb.tally import ReasonCode, TallyError, TieBreak, tally

from .conftest import make_election


def reasons(result):
    return {line.project_id: line.reason.code for line in result.projects}


def test_greedy_funds_by_score_and_skips_what_does_not_fit():
    election = make_election(
        {"A": 60, "B": 50, "C": 30},
        [["A", "B"], ["A", "B"], ["A", "C"], ["B"]],
        budget=100,
    )
    result = tally(election, "greedy")
    # A and B have 3 votes each; A is dearer, so B goes first (lower cost); A no longer fits
    assert result.selected == ("B", "C")
    assert result.spent == 80
    assert result.money_left == 20
    a = result.outcome_of("A")
    assert a.reason.code is ReasonCode.DID_NOT_FIT
    assert a.reason.value_map == {"cost": 60, "remaining": 50}
    assert a.reason.text == "not selected: costs 60, did not fit the remaining 50"


def test_equal_score_and_cost_is_decided_by_project_id_text():
    election = make_election({"P10": 10, "P9": 10}, [["P10", "P9"]], budget=10)
    assert tally(election, "greedy").selected == ("P10",)  # "P10" < "P9" as text


def test_tie_break_can_follow_listed_order_or_a_published_lottery():
    election = make_election({"b": 10, "a": 10}, [["a", "b"]], budget=10)
    listed = TieBreak.parse("listed-order")
    assert tally(election, "greedy", tie_break=listed).selected == ("b",)
    lottery = TieBreak.parse("lottery", lottery_seed="2026-05-01 commission")
    first = tally(election, "greedy", tie_break=lottery).selected
    assert first == tally(election, "greedy", tie_break=lottery).selected  # reproducible
    with pytest.raises(TallyError, match="seed"):
        TieBreak.parse("lottery")


def test_project_costing_more_than_the_budget_is_never_selected():
    election = make_election({"big": 101, "small": 1}, [["big"], ["big"]], budget=100)
    result = tally(election, "greedy")
    assert result.selected == ("small",)
    assert result.outcome_of("big").reason.value_map == {"cost": 101, "remaining": 100}


def test_a_project_that_exactly_uses_the_remaining_money_is_selected():
    election = make_election({"A": 70, "B": 30}, [["A"], ["A"], ["B"]], budget=100)
    result = tally(election, "greedy")
    assert result.selected == ("A", "B")
    assert result.money_left == 0
    assert result.outcome_of("B").reason.value_map == {"remaining_before": 30, "remaining_after": 0}


def test_without_votes_greedy_still_funds_in_tie_break_order():
    election = make_election({"A": 50, "B": 20, "C": 40}, [], budget=60)
    result = tally(election, "greedy")
    assert [line.score for line in result.projects] == [0, 0, 0]
    assert result.selected == ("B", "C")  # all tied at 0: cheapest first


def test_one_voter_decides_alone():
    election = make_election({"A": 50, "B": 50, "C": 50}, [["C", "A"]], budget=100)
    assert tally(election, "greedy").selected == ("A", "C")


def test_zero_cost_project_is_selected_even_when_the_money_is_gone():
    election = make_election({"A": 100, "free": 0}, [["A"], ["A"], ["free"]], budget=100)
    result = tally(election, "greedy")
    assert result.selected == ("A", "free")
    assert result.outcome_of("free").reason.value_map == {
        "remaining_before": 0,
        "remaining_after": 0,
    }


def test_no_skip_stops_at_the_first_project_that_does_not_fit():
    election = make_election(
        {"A": 60, "B": 50, "C": 30}, [["A"], ["A"], ["A"], ["B"], ["B"], ["C"]], budget=100
    )
    assert tally(election, "greedy").selected == ("A", "C")
    result = tally(election, "greedy-no-skip")
    assert result.selected == ("A",)
    codes = reasons(result)
    assert codes["B"] is ReasonCode.DID_NOT_FIT
    assert codes["C"] is ReasonCode.STOPPED_NO_SKIP
    assert result.outcome_of("C").reason.text == (
        "not selected: stopped: no-skip rule (counting ended at project B, which did not fit "
        "the remaining 40)"
    )


def test_threshold_leaves_out_projects_scoring_below_it_but_not_those_reaching_it():
    election = make_election(
        {"A": 10, "B": 10, "C": 10}, [["A", "B", "C"], ["A", "B"], ["A"]], budget=100
    )
    result = tally(election, "greedy-threshold", threshold=2)
    assert result.selected == ("A", "B")
    below = result.outcome_of("C").reason
    assert below.code is ReasonCode.BELOW_THRESHOLD
    assert below.text == "not selected: score 1 is below the threshold of 2"


def test_threshold_rule_without_a_threshold_is_refused():
    election = make_election({"A": 10}, [["A"]], budget=10)
    with pytest.raises(TallyError, match="needs a threshold"):
        tally(election, "greedy-threshold")
    with pytest.raises(TallyError, match="takes no threshold"):
        tally(election, "equalshares", threshold=3)
    with pytest.raises(TallyError, match="unknown rule"):
        tally(election, "borda-count")


def test_cumulative_points_are_summed_and_ordinal_gets_borda_points():
    cumulative = make_election(
        {"A": 10, "B": 10}, [{"A": 3}, {"B": 2}, {"B": 2}], budget=10, vote_type="cumulative"
    )
    result = tally(cumulative, "greedy")
    assert result.selected == ("B",)
    assert result.outcome_of("A").score == 3

    ordinal = make_election(
        {"A": 10, "B": 10, "C": 10},
        [["A", "B", "C"], ["B", "C"], ["C"]],
        budget=10,
        vote_type="ordinal",
        ordinal_max_length=3,
    )
    scores = {line.project_id: line.score for line in tally(ordinal, "greedy").projects}
    assert scores == {"A": 3, "B": 2 + 3, "C": 1 + 2 + 3}


def test_plus_minus_ranks_by_net_score_and_can_exclude_disliked_projects():
    ballots = [{"A": 1, "B": 1}, {"A": 1, "B": -1}, {"B": 1, "C": -1}, {"C": 1}, {"A": -1, "C": 1}]
    election = make_election({"A": 40, "B": 40, "C": 40}, ballots, budget=80, vote_type="scoring")
    result = tally(election, "plus-minus")
    # net: A = 1 + 1 - 1 = 1, B = 1 - 1 + 1 = 1, C = -1 + 1 + 1 = 1: a three-way tie, by id
    assert result.selected == ("A", "B")

    disliked = make_election(
        {"A": 40, "B": 40},
        [{"A": 1}, {"A": -1}, {"A": -1}, {"B": 1}],
        budget=80,
        vote_type="scoring",
    )
    assert tally(disliked, "plus-minus").selected == ("B", "A")
    result = tally(disliked, "plus-minus", exclude_more_minus_than_plus=True)
    assert result.selected == ("B",)
    excluded = result.outcome_of("A").reason
    assert excluded.code is ReasonCode.MORE_MINUS_THAN_PLUS
    assert excluded.value_map == {"plus": 1, "minus": 2}


def test_withdrawn_projects_keep_their_place_in_the_list_but_are_not_funded():
    election = make_election({"A": 50, "B": 50}, [["A"], ["A"], ["B"]], budget=50)
    result = tally(election, "greedy", withdrawn=["A"])
    assert result.selected == ("B",)
    assert result.outcome_of("A").reason.code is ReasonCode.WITHDRAWN


def test_every_project_is_explained_in_ranking_order():
    election = make_election({"A": 10, "B": 20, "C": 30}, [["C"], ["C"], ["B"]], budget=25)
    result = tally(election, "greedy")
    assert [line.project_id for line in result.projects] == ["C", "B", "A"]
    assert [line.selected for line in result.projects] == [False, True, False]
    assert all(line.reason.text for line in result.projects)
