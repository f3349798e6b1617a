"""Add-one equal shares always ends, and ends where Pabulib's unit steps would.

Pabulib's add1 raises each voter's money by one unit until the next step overspends. Taken
literally that can need millions of runs (a lone dear project nobody else can help pay);
the engine jumps over units that cannot change the outcome (`next_change`). These tests check
that it ends fast on any small election and that the result is the one pabutools' equal
shares, stepped unit by unit as Pabulib defines add1, gives.
"""

from __future__ import annotations

import random
import time

from hypothesis import event, given, settings
from hypothesis import strategies as st

from pb.tally import Election, Project, tally
from pb.tally.equal_shares import EqualSharesEngine, next_change
from pb.tally.tiebreak import EQUAL_SHARES_TIE_BREAK, PABUTOOLS_TIE_BREAK

from .test_tally_oracle_pabutools import ORACLE, reference_equal_shares


def test_two_voters_and_a_lone_dear_project_end_at_once_with_the_cheap_one():
    election = Election.build(
        3_000_000, [Project("1", 1), Project("2", 3_000_000)], [["1", "2"], ["1"]]
    )
    # CPU time, not wall time: a shared, loaded machine must not fail a fast count.
    start = time.process_time()
    result = tally(election, "equalshares/add1")
    assert time.process_time() - start < 0.5
    assert result.selected == ("1",)
    # each voter ends with 3 000 000: one more unit and voter 1 alone could buy project 2
    assert result.notes[0].value_map["voter_budget"] == 3_000_000
    assert result.notes[0].value_map["steps"] == 1_500_000


def test_look_ahead_sees_how_far_the_money_can_rise_before_the_run_changes():
    election = Election.build(
        3_000_000, [Project("1", 1), Project("2", 3_000_000)], [["1", "2"], ["1"]]
    )
    engine = EqualSharesEngine(election, EQUAL_SHARES_TIE_BREAK)
    ahead = next_change(engine, 1_500_000)
    assert ahead.selected == (0,)
    # project 2's lone supporter holds 1 500 000 + t: nothing can change before t = 1 500 000
    assert ahead.horizon == 1_500_000


def add_one_by_unit_steps(election: Election, start: int, end: int) -> list[str]:
    """Pabulib's add1 from `start` units per voter, one unit at a time up to `end`."""
    voters = election.voter_count
    outcome = reference_equal_shares(election, start * voters)
    for per_voter in range(start + 1, end + 1):
        following = reference_equal_shares(election, per_voter * voters)
        if cost_of(election, following) > election.budget:
            break
        outcome = following
    return outcome


def cost_of(election: Election, ids) -> int:
    return sum(election.projects[election.index_of[p]].cost for p in ids)


@st.composite
def add_one_elections(draw) -> Election:
    size = draw(st.integers(1, 10))
    scale = draw(st.sampled_from((10, 1_000, 10_000_000)))
    costs = draw(st.lists(st.integers(1, scale), min_size=size, max_size=size))
    voters = draw(st.integers(1, 8))
    ids = [f"p{i}" for i in range(size)]
    ballots = draw(
        st.lists(
            st.lists(st.sampled_from(ids), unique=True, max_size=size),
            min_size=voters,
            max_size=voters,
        )
    )
    budget = draw(st.integers(0, 2 * sum(costs)))
    return Election.build(budget, [Project(i, c) for i, c in zip(ids, costs, strict=True)], ballots)


@settings(ORACLE, max_examples=300)
@given(add_one_elections(), st.randoms(use_true_random=False))
def test_add_one_ends_within_a_second_with_pabulibs_add1_outcome(election, rng: random.Random):
    # CPU time, the better of two runs: neither the machine's load nor a garbage collection that
    # happens to fall inside one run may make a fast count fail.
    spent = []
    for _ in range(2):
        start = time.process_time()
        ours = tally(election, "equalshares/add1", tie_break=PABUTOOLS_TIE_BREAK)
        spent.append(time.process_time() - start)
    assert min(spent) < 1.0
    note = ours.notes[0].value_map
    voters = election.voter_count
    first = election.budget // voters
    reached = int(note["voter_budget"])
    supported = {election.projects[i].id for b in election.ballots for i in b.projects}
    if note["steps"] == 0 and reached != first:
        # everything supported fits the budget: the search ends with all of it
        event("everything supported fits")
        assert set(ours.selected) == supported
        return
    assert cost_of(election, ours.selected) <= election.budget
    if reached - first <= 40:
        event("checked unit by unit")
        # few units: step through every one of them with pabutools
        expected = add_one_by_unit_steps(election, first, reached + 1)
        assert list(ours.selected) == expected
        return
    # many units: the end point is pabutools' outcome, one more unit overspends (or everything
    # is bought), and no unit on the way overspends (checked on a sample of them)
    event("checked on a sample of units")
    assert list(ours.selected) == reference_equal_shares(election, reached * voters)
    following = reference_equal_shares(election, (reached + 1) * voters)
    assert cost_of(election, following) > election.budget or set(following) == set(ours.selected)
    for per_voter in rng.sample(range(first, reached), 10):
        assert cost_of(election, reference_equal_shares(election, per_voter * voters)) <= (
            election.budget
        )
