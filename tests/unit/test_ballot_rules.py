"""The four ballot rules: hand cases from real cities and properties against plain definitions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pb.tally.ballot_rules import Code, GroupRule, Rule, check_ballot, check_group, is_valid_group

COSTS = {"a": 100, "b": 250, "c": 400, "d": 50, "e": 700}


def group(rule: Rule, **params) -> GroupRule:
    return GroupRule(rule=rule, costs=COSTS, **params)


def codes(violations) -> list[Code]:
    return [v.code for v in violations]


# --- hand cases ------------------------------------------------------------------------------------


def test_approval_warsaw_style_up_to_five():
    rule = group(Rule.APPROVAL, min_choices=1, max_choices=3)
    assert check_group(rule, {"a": 1, "b": 1, "c": 1}) == []
    too_many = check_group(rule, {p: 1 for p in "abcd"})
    assert codes(too_many) == [Code.TOO_MANY]
    assert too_many[0].values == {"given": 4, "limit": 3, "excess": 1}
    assert "approval voting" in too_many[0].message and "remove 1" in too_many[0].message


def test_approval_with_a_minimum_refuses_too_few_but_allows_a_blank_group():
    rule = group(Rule.APPROVAL, min_choices=2, max_choices=3)
    assert codes(check_group(rule, {"a": 1})) == [Code.TOO_FEW]
    assert check_group(rule, {}) == []


def test_knapsack_refuses_an_over_budget_ballot_and_says_by_how_much():
    rule = group(Rule.KNAPSACK, budget=600)
    assert check_group(rule, {"a": 1, "b": 1, "d": 1}) == []  # 400
    over = check_group(rule, {"c": 1, "b": 1})  # 650
    assert codes(over) == [Code.OVER_BUDGET]
    assert over[0].values == {"given": 650, "limit": 600, "excess": 50}
    assert "knapsack voting" in over[0].message and "remove a project" in over[0].message


def test_knapsack_exactly_at_the_budget_is_allowed():
    assert is_valid_group(group(Rule.KNAPSACK, budget=650), {"c": 1, "b": 1})


def test_cumulative_katowice_style_points():
    rule = group(Rule.CUMULATIVE, max_points=10, max_points_per_project=5)
    assert check_group(rule, {"a": 5, "b": 5}) == []
    assert codes(check_group(rule, {"a": 5, "b": 4, "c": 3})) == [Code.TOO_MANY_POINTS]
    assert codes(check_group(rule, {"a": 6})) == [Code.TOO_MANY_POINTS_ON_ONE]
    assert codes(check_group(rule, {"a": -2})) == [Code.BAD_VALUE]


def test_plus_minus_liberec_style_three_plus_one_minus_after_two_plus():
    rule = group(Rule.PLUS_MINUS, plus_votes=3, minus_votes=1, minus_requires_plus=2)
    assert check_group(rule, {"a": 1, "b": 1, "c": 1, "d": -1}) == []
    assert check_group(rule, {"a": 1}) == []
    early = check_group(rule, {"a": 1, "b": -1})
    assert codes(early) == [Code.MINUS_TOO_EARLY]
    assert "at least 2 plus votes" in early[0].message
    assert codes(check_group(rule, {p: 1 for p in "abcd"})) == [Code.TOO_MANY_PLUS]
    assert Code.TOO_MANY_MINUS in codes(check_group(rule, {"a": 1, "b": 1, "c": -1, "d": -1}))
    assert codes(check_group(rule, {"a": 2})) == [Code.BAD_VALUE]


def test_a_project_from_another_group_is_refused():
    rule = group(Rule.APPROVAL, max_choices=3)
    assert codes(check_group(rule, {"zz": 1})) == [Code.UNKNOWN_PROJECT]


def test_an_empty_ballot_is_refused_but_a_blank_group_is_not():
    rules = {"1": group(Rule.APPROVAL, max_choices=2), "2": group(Rule.KNAPSACK, budget=100)}
    assert codes(check_ballot(rules, {"1": {}, "2": {}})) == [Code.EMPTY_BALLOT]
    assert check_ballot(rules, {"1": {"a": 1}, "2": {}}) == []
    named = check_ballot(rules, {"1": {"a": 1}, "2": {"e": 1}})
    assert [(v.group, v.code) for v in named] == [("2", Code.OVER_BUDGET)]


def test_every_violation_names_its_rule_and_a_fix():
    cases = [
        (group(Rule.APPROVAL, min_choices=2, max_choices=2), {"a": 1}),
        (group(Rule.APPROVAL, max_choices=1), {"a": 1, "b": 1}),
        (group(Rule.KNAPSACK, budget=10), {"a": 1}),
        (group(Rule.CUMULATIVE, max_points=3, max_points_per_project=2), {"a": 2, "b": 2}),
        (group(Rule.CUMULATIVE, max_points=3, max_points_per_project=2), {"a": 3}),
        (group(Rule.PLUS_MINUS, plus_votes=1, minus_votes=1, minus_requires_plus=1), {"a": -1}),
        (group(Rule.PLUS_MINUS, plus_votes=1, minus_votes=0), {"a": 1, "b": -1}),
    ]
    words = {
        Rule.APPROVAL: "approval voting",
        Rule.KNAPSACK: "knapsack voting",
        Rule.CUMULATIVE: "cumulative voting",
        Rule.PLUS_MINUS: "plus-minus voting",
    }
    for rule, marks in cases:
        violations = check_group(rule, marks)
        assert violations, (rule.rule, marks)
        for violation in violations:
            assert violation.message.startswith(words[rule.rule])
            assert any(
                verb in violation.message
                for verb in ("remove", "take away", "add", "mark", "at most")
            )


# --- properties against the plain definitions ------------------------------------------------------

projects = st.sampled_from(sorted(COSTS))
approval_marks = st.dictionaries(projects, st.just(1))
point_marks = st.dictionaries(projects, st.integers(-3, 12))
pm_marks = st.dictionaries(projects, st.sampled_from([1, -1]))


@given(approval_marks, st.integers(0, 5), st.integers(1, 5))
def test_approval_is_valid_exactly_when_blank_or_between_min_and_max(marks, low, high):
    rule = group(Rule.APPROVAL, min_choices=low, max_choices=high)
    expected = not marks or max(low, 1) <= len(marks) <= high
    assert is_valid_group(rule, marks) == expected


@given(approval_marks, st.integers(0, 1600))
def test_knapsack_is_valid_exactly_when_the_cost_fits(marks, budget):
    rule = group(Rule.KNAPSACK, budget=budget)
    assert is_valid_group(rule, marks) == (sum(COSTS[p] for p in marks) <= budget)


@given(approval_marks, st.integers(0, 1600))
def test_knapsack_stays_valid_when_a_project_is_taken_away(marks, budget):
    rule = group(Rule.KNAPSACK, budget=budget)
    if is_valid_group(rule, marks):
        for project in marks:
            assert is_valid_group(rule, {p: v for p, v in marks.items() if p != project})


@given(point_marks, st.integers(0, 15), st.integers(1, 8))
def test_cumulative_is_valid_exactly_when_points_fit_in_total_and_per_project(marks, total, per):
    rule = group(Rule.CUMULATIVE, max_points=total, max_points_per_project=per)
    expected = (
        all(1 <= v <= min(per, total) for v in marks.values()) and sum(marks.values()) <= total
    )
    assert is_valid_group(rule, marks) == expected


@given(pm_marks, st.integers(0, 4), st.integers(0, 2), st.integers(0, 3))
def test_plus_minus_is_valid_exactly_by_the_d21_definition(marks, plus, minus, needed):
    rule = group(Rule.PLUS_MINUS, plus_votes=plus, minus_votes=minus, minus_requires_plus=needed)
    given_plus = sum(1 for v in marks.values() if v == 1)
    given_minus = sum(1 for v in marks.values() if v == -1)
    expected = (
        given_plus <= plus and given_minus <= minus and (given_minus == 0 or given_plus >= needed)
    )
    assert is_valid_group(rule, marks) == expected


@given(st.sampled_from(list(Rule)), st.dictionaries(projects, st.integers(-5, 5)))
def test_an_unknown_project_is_always_reported(rule_name, marks):
    rule = group(
        rule_name, max_choices=5, budget=10_000, max_points=50, plus_votes=5, minus_votes=5
    )
    violations = check_group(rule, {**marks, "not-on-ballot": 1})
    assert Code.UNKNOWN_PROJECT in codes(violations)


@pytest.mark.parametrize("rule", list(Rule))
def test_the_pure_rule_values_match_the_models(rule):
    from pb.editions.models import BallotRule

    assert BallotRule(rule.value).value == rule.value


# --- ranked ballots (issue 14) ---------------------------------------------------------------------


def test_ranked_krakow_style_up_to_three_ranks_in_order():
    rule = group(Rule.RANKED, max_ranks=3)
    assert is_valid_group(rule, {"c": 1, "a": 2, "e": 3})
    assert is_valid_group(rule, {"b": 1})
    assert codes(check_group(rule, {"a": 1, "b": 2, "c": 3, "d": 4})) == [
        Code.BAD_VALUE,
        Code.TOO_MANY,
    ]


def test_ranked_refuses_a_rank_given_twice_a_gap_and_a_rank_out_of_range():
    rule = group(Rule.RANKED, max_ranks=3)
    twice = check_group(rule, {"a": 1, "b": 1})
    assert codes(twice) == [Code.RANK_TWICE]
    assert twice[0].values == {"rank": 1, "given": 2}
    gap = check_group(rule, {"a": 1, "b": 3})
    assert codes(gap) == [Code.RANK_GAP] and gap[0].values == {"rank": 2}
    assert codes(check_group(rule, {"a": 2})) == [Code.RANK_GAP]
    assert codes(check_group(rule, {"a": 1, "b": -1})) == [Code.BAD_VALUE]
    assert "ranked voting" in check_group(rule, {"a": 1, "b": 1})[0].message


@given(st.dictionaries(st.sampled_from(sorted(COSTS)), st.integers(-2, 6), max_size=5))
def test_ranked_marks_are_valid_exactly_when_they_are_the_ranks_1_to_n(marks):
    marks = {p: v for p, v in marks.items() if v != 0}
    rule = group(Rule.RANKED, max_ranks=3)
    expected = sorted(marks.values()) == list(range(1, len(marks) + 1)) and len(marks) <= 3
    assert is_valid_group(rule, marks) == expected
