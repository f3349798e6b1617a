"""Equal shares by hand: prices, rounds, the add-one search, the comparison with greedy,
the greedy fill, ties, no votes, one voter and zero-cost projects."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pb.tally import ReasonCode, tally
from pb.tally.equal_shares import EqualSharesEngine
from pb.tally.tiebreak import EQUAL_SHARES_TIE_BREAK

from .conftest import make_election


def three_projects():
    # four voters with 25 each: v1, v2, v3 want A (60); v3, v4 want B (40); v4 wants C (30)
    return make_election(
        {"A": 60, "B": 40, "C": 30}, [["A"], ["A"], ["A", "B"], ["B", "C"]], budget=100
    )


def test_equal_shares_buys_the_cheapest_per_unit_of_cost_and_drops_the_unaffordable():
    result = tally(three_projects(), "equalshares")
    assert result.selected == ("A",)
    bought = result.outcome_of("A").reason
    assert bought.code is ReasonCode.EQUAL_SHARES_BOUGHT
    assert bought.value_map["round"] == 1
    assert bought.value_map["price_per_supporter"] == 20
    assert bought.text == "selected in round 1 of equal shares: its 3 supporters paid 20 each"
    # after A, v3 has 5 and v4 25: 30 < 40
    b = result.outcome_of("B").reason
    assert b.code is ReasonCode.SUPPORTERS_CANNOT_AFFORD
    assert b.value_map == {"round": 2, "supporters": 2, "supporters_money": 30, "cost": 40}
    # C could never be afforded: v4 alone holds 25 < 30 (noticed when C's turn came)
    c = result.outcome_of("C").reason
    assert c.code is ReasonCode.SUPPORTERS_CANNOT_AFFORD
    assert c.value_map["supporters_money"] == 25


def test_add_one_raises_every_voter_by_one_unit_until_the_next_step_would_overspend():
    # B fits once v3 and v4 together hold 40 after A (from 30 each); C would also come in
    # at 50 each, which overspends 130 > 100, so the search keeps the outcome at 49 each.
    result = tally(three_projects(), "equalshares/add1")
    assert result.selected == ("A", "B")
    assert result.spent == 100
    note = result.notes[0]
    assert note.code is ReasonCode.ADD1_VOTER_BUDGET
    assert note.value_map == {"voter_budget": 49, "virtual_budget": 196, "steps": 24, "budget": 100}
    b = result.outcome_of("B").reason
    assert b.value_map["price_per_supporter"] == 20  # at 49 each v3 still has 29 after A


def test_add_one_price_can_be_a_fraction_and_stays_exact():
    engine = EqualSharesEngine(three_projects(), EQUAL_SHARES_TIE_BREAK)
    outcome = engine.run(31)
    assert [p.project for p in outcome.purchases] == [0, 1]
    # at 31 each: A costs 20 each, v3 keeps 11, so v4 pays the other 29 of B
    assert outcome.purchases[1].price_per_supporter == 29
    assert outcome.purchases[1].paying_full_price == 1
    odd = make_election({"X": 10}, [["X"], ["X"], ["X"]], budget=10)
    price = tally(odd, "equalshares").outcome_of("X").reason.value_map["price_per_supporter"]
    assert price == Fraction(10, 3)


def test_greedy_fill_spends_what_equal_shares_leaves():
    result = tally(three_projects(), "equalshares+greedy")
    assert result.selected == ("A", "B")
    filled = result.outcome_of("B").reason
    assert filled.code is ReasonCode.GREEDY_FILL_SELECTED
    assert filled.value_map == {"remaining_before": 40, "remaining_after": 0}
    assert result.outcome_of("C").reason.code is ReasonCode.DID_NOT_FIT


def test_comparison_keeps_greedy_when_more_voters_prefer_it():
    # five voters want X (100), one wants Y (10): equal shares can only afford Y
    election = make_election({"X": 100, "Y": 10}, [["X"]] * 5 + [["Y"]], budget=100)
    assert tally(election, "equalshares").selected == ("Y",)
    result = tally(election, "equalshares-comparison")
    assert result.selected == ("X",)
    assert result.notes[-1].code is ReasonCode.COMPARISON_CHOSE_GREEDY
    assert result.notes[-1].value_map == {"prefer_equal_shares": 1, "prefer_greedy": 5}
    assert tally(election, "equalshares/add1-comparison").selected == ("X",)


def test_comparison_keeps_equal_shares_when_voters_do_not_prefer_greedy():
    result = tally(three_projects(), "equalshares/add1-comparison")
    assert result.selected == ("A", "B")  # greedy picks the same: nobody prefers either
    assert result.notes[-1].code is ReasonCode.COMPARISON_KEPT_EQUAL_SHARES


def test_equal_price_per_cost_goes_to_the_cheaper_then_the_more_supported_then_the_id():
    # same supporters, both affordable at 1/2 of their cost each: the cheaper wins
    election = make_election({"A": 10, "B": 8}, [["A", "B"], ["A", "B"]], budget=10)
    assert tally(election, "equalshares").selected == ("B",)
    # same cost, same price per cost: project id decides
    twins = make_election({"T2": 10, "T1": 10}, [["T1", "T2"], ["T1", "T2"]], budget=10)
    assert tally(twins, "equalshares").selected == ("T1",)


def test_without_votes_equal_shares_selects_nothing_and_says_why():
    result = tally(make_election({"A": 10}, [], budget=10), "equalshares/add1")
    assert result.selected == ()
    assert result.outcome_of("A").reason.code is ReasonCode.NO_SUPPORTERS
    empty_ballots = make_election({"A": 10}, [[], []], budget=10)
    assert tally(empty_ballots, "equalshares").outcome_of("A").reason.code is (
        ReasonCode.NO_SUPPORTERS
    )


def test_one_voter_holds_the_whole_budget():
    election = make_election({"A": 60, "B": 50, "C": 40}, [["A", "B", "C"]], budget=100)
    # every project costs this voter 1 per unit of cost: ties, so the cheapest first
    assert tally(election, "equalshares").selected == ("C", "B")
    assert tally(election, "equalshares/add1").selected == ("C", "B")


def test_zero_cost_projects_with_supporters_come_free_and_unsupported_ones_do_not():
    election = make_election({"free": 0, "nobody": 0, "A": 10}, [["free", "A"], ["A"]], budget=10)
    result = tally(election, "equalshares")
    assert set(result.selected) == {"free", "A"}
    assert result.outcome_of("free").reason.code is ReasonCode.SELECTED_FREE
    assert result.outcome_of("nobody").reason.code is ReasonCode.NO_SUPPORTERS


def test_project_dearer_than_the_budget_drops_out_in_round_one():
    election = make_election({"big": 200, "A": 10}, [["big", "A"], ["big"]], budget=100)
    result = tally(election, "equalshares/add1")
    assert result.selected == ("A",)
    assert result.outcome_of("big").reason.code is ReasonCode.SUPPORTERS_CANNOT_AFFORD


def test_everything_affordable_ends_the_add_one_search_with_every_supported_project():
    election = make_election({"A": 10, "B": 10}, [["A"], ["B"], ["A", "B"]], budget=100)
    assert set(tally(election, "equalshares/add1").selected) == {"A", "B"}


def test_non_approval_ballots_count_a_supporter_as_anyone_giving_positive_points():
    election = make_election(
        {"A": 10, "B": 10}, [{"A": 3, "B": 0}, {"A": 1}], budget=10, vote_type="cumulative"
    )
    result = tally(election, "equalshares")
    assert result.selected == ("A",)
    assert result.outcome_of("B").reason.code is ReasonCode.NO_SUPPORTERS


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=6),
    st.lists(st.lists(st.integers(0, 5), max_size=4), max_size=9),
    st.integers(0, 120),
)
def test_money_by_ballot_and_money_by_class_give_the_same_run(costs, raw_ballots, budget):
    ids = [f"p{i}" for i in range(len(costs))]
    ballots = [sorted({ids[i % len(ids)] for i in ballot}) for ballot in raw_ballots]
    election = make_election(dict(zip(ids, costs, strict=True)), ballots, budget=budget)
    if election.voter_count == 0:
        return
    engine = EqualSharesEngine(election, EQUAL_SHARES_TIE_BREAK)
    for per_voter, denominator in ((budget, election.voter_count), (budget // 3 + 1, 1)):
        once = engine.run_once(per_voter, denominator)
        shared = engine.run(per_voter, denominator)
        assert once.purchases == shared.purchases
        assert {d.project: d.supporters_money for d in once.dropouts} == {
            d.project: d.supporters_money for d in shared.dropouts
        }
