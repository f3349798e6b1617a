"""Ranked ballots with points, greedy-custom's reserve, mutually exclusive projects, zero points."""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest

from pb.tally import (
    Ballot,
    Election,
    PabulibFormatError,
    Project,
    ReasonCode,
    TallyError,
    VoteType,
    format_pabulib,
    load_election,
    pabulib_from_election,
    recount,
    tally,
)

from .conftest import make_election

META = {"description": "issue 14", "country": "Poland", "unit": "Testowo", "instance": "2026"}


def ranked(points_by_ballot: list[tuple[tuple[str, ...], tuple[int, ...]]], costs, budget):
    projects = [Project(i, c) for i, c in costs.items()]
    index = {p.id: n for n, p in enumerate(projects)}
    ballots = tuple(
        Ballot(tuple(index[i] for i in ids), points) for ids, points in points_by_ballot
    )
    return Election(budget, tuple(projects), VoteType.ORDINAL, ballots)


def test_ranked_ballots_score_by_the_points_they_carry_and_say_so():
    election = ranked(
        [(("A", "B", "C"), (3, 2, 1)), (("C", "B", "A"), (3, 2, 1)), (("B",), (2,))],
        {"A": 50, "B": 50, "C": 50},
        budget=100,
    )
    result = tally(election, "greedy")
    assert {o.project_id: o.score for o in result.projects} == {"A": 4, "B": 6, "C": 4}
    assert result.selected == ("B", "A")  # A and C tie on 4: one first rank each, then id
    assert result.notes[0].code is ReasonCode.ORDINAL_POINTS_PER_BALLOT
    same = ranked(
        [(("A", "B", "C"), (3, 2, 1)), (("C", "B", "A"), (3, 2, 1))], {"A": 5, "B": 5, "C": 5}, 9
    )
    assert (
        tally(same, "greedy")
        .notes[0]
        .text.startswith("points by rank as every ballot gives them: 3, 2, 1")
    )


def test_without_points_ranked_ballots_use_borda_and_the_note_says_so():
    election = make_election({"A": 5, "B": 5}, [["A", "B"], ["B"]], 5, "ordinal")
    note = tally(election, "greedy").notes[0]
    assert note.code is ReasonCode.ORDINAL_POINTS_BORDA and "2, 1" in note.text


def test_ties_on_ranked_ballots_go_to_more_first_ranks_before_lower_cost():
    election = ranked(
        [(("dear", "cheap"), (3, 2)), (("cheap", "dear"), (1, 0)), (("dear",), (0,))],
        {"dear": 60, "cheap": 50},
        budget=60,
    )
    # both score 3; dear is ranked first twice, cheap once
    assert tally(election, "greedy").selected == ("dear",)


def test_points_growing_with_the_rank_are_refused():
    with pytest.raises(TallyError, match="must not grow"):
        from pb.tally.model import check_ballot_shape

        check_ballot_shape(VoteType.ORDINAL, [0, 1], (1, 2), None, "x")


def test_ranked_file_with_points_round_trips_and_reads(tmp_path):
    election = ranked([(("A", "B"), (3, 2)), (("B",), (3,))], {"A": 5, "B": 5}, 5)
    path = tmp_path / "krakow.pb"
    path.write_text(format_pabulib(pabulib_from_election(election, META)), encoding="utf-8")
    assert "voter_id;vote;points" in path.read_text()
    assert load_election(path).election == election


# -- greedy-custom ---------------------------------------------------------------------------


def poznan(budget=100):
    return make_election(
        {"A": 60, "B": 50, "C": 10}, [["A"], ["A"], ["A"], ["B"], ["B"], ["C"]], budget
    )


def test_greedy_custom_funds_the_first_project_that_does_not_fit_from_the_reserve():
    result = tally(poznan(), "greedy-custom")
    assert result.selected == ("A",) and result.reserve == ("B",)
    assert result.spent == 60  # the reserve's money is not the budget's
    b = result.outcome_of("B")
    assert b.from_reserve and not b.selected
    assert b.reason.text.startswith("funded from the reserve: 80% of its cost was left")
    # counting stops there: C would fit the budget but greedy-custom does not go on
    assert result.outcome_of("C").reason.code is ReasonCode.STOPPED_NO_SKIP


def test_greedy_custom_with_too_little_left_funds_nothing_more_and_the_share_is_a_parameter():
    assert tally(poznan(99), "greedy-custom").reserve == ()  # 39 of 50 is 78%
    assert tally(poznan(99), "greedy-custom", reserve_share=Fraction(3, 4)).reserve == ("B",)
    with pytest.raises(TallyError, match="takes no reserve share"):
        tally(poznan(), "greedy", reserve_share=Fraction(1, 2))


def test_reserve_share_comes_from_the_meta_key_or_the_comment(tmp_path):
    def written(extra):
        path = tmp_path / "p.pb"
        meta = META | {"rule": "greedy-custom"} | extra
        path.write_text(format_pabulib(pabulib_from_election(poznan(98), meta)), "utf-8")
        return load_election(path)

    comment = {"comment": "#1: ... if the remaining budget is enough to fund at least 75% of it"}
    assert written(comment).reserve_share == Fraction(3, 4)
    assert recount(written(comment)).reserve == ("B",)  # 38 of 50 = 76%
    assert written({"reserve_share": "0.8"}).reserve_share == Fraction(4, 5)
    assert written({}).reserve_share is None
    assert recount(written({})).reserve == ()  # default 80%


def test_export_marks_a_reserve_project_2_in_selected():
    election = poznan()
    file = pabulib_from_election(election, META, result=tally(election, "greedy-custom"))
    assert file.project_column("selected") == {"A": "1", "B": "2", "C": "0"}


# -- mutually exclusive projects --------------------------------------------------------------


def warsaw():
    return make_election(
        {"A": 30, "B": 30, "C": 30}, [["A"], ["A"], ["A", "B"], ["B"], ["C"]], budget=90
    )


@pytest.mark.parametrize(
    "rule", ["greedy", "greedy-exclusive", "equalshares", "equalshares/add1+greedy"]
)
def test_every_rule_skips_a_project_exclusive_with_one_funded_and_names_it(rule):
    result = tally(warsaw(), rule, exclusive=[("A", "B")])
    assert "A" in result.selected and "B" not in result.selected
    b = result.outcome_of("B")
    assert b.reason.code is ReasonCode.EXCLUSIVE_WITH_FUNDED
    assert b.reason.text == (
        "not selected: cannot be carried out together with project A, which was funded first"
    )


def test_greedy_exclusive_needs_the_pairs():
    with pytest.raises(TallyError, match="needs the pairs of mutually exclusive projects"):
        tally(warsaw(), "greedy-exclusive")
    with pytest.raises(TallyError, match="unknown project 'Z'"):
        tally(warsaw(), "greedy", exclusive=[("A", "Z")])


def test_exclusive_pairs_are_written_to_meta_and_read_back(tmp_path):
    election = warsaw()
    result = tally(election, "greedy-exclusive", exclusive=[("A", "B"), ("B", "C")])
    file = pabulib_from_election(election, META, result=result, exclusive=[("A", "B"), ("B", "C")])
    path = tmp_path / "w.pb"
    path.write_text(format_pabulib(file), encoding="utf-8")
    assert '\nexclusive_pairs;"A:B;B:C"\n' in path.read_text()
    loaded = load_election(path)
    assert loaded.exclusive_pairs == (("A", "B"), ("B", "C"))
    assert recount(loaded).selected == result.selected == ("A", "C")


def test_a_greedy_exclusive_file_without_pairs_is_refused_saying_what_is_missing(tmp_path):
    path = tmp_path / "w.pb"
    meta = META | {"rule": "greedy-exclusive"}
    path.write_text(format_pabulib(pabulib_from_election(warsaw(), meta)), encoding="utf-8")
    with pytest.raises(PabulibFormatError) as raised:
        recount(path)
    assert raised.value.section == "META" and raised.value.line > 0
    assert "META key exclusive_pairs" in str(raised.value)
    assert recount(path, "greedy").selected  # another rule can still count it
    bad = path.read_text().replace(
        "rule;greedy-exclusive", "rule;greedy-exclusive\nexclusive_pairs;A-B"
    )
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(PabulibFormatError, match="'A-B' is not a pair"):
        recount(path)


# -- zero points on cumulative ballots --------------------------------------------------------


def test_zero_points_are_no_support_as_in_pabutools_with_points_as_satisfaction():
    election = make_election(
        {"A": 10, "B": 8}, [{"A": 3, "B": 0}, {"B": 2}], budget=12, vote_type="cumulative"
    )
    ours = tally(election, "equalshares")
    assert ours.selected == ()  # B's one supporter holds 6 < 8; the zero does not pay
    assert ours.outcome_of("B").supporters == 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pabutools.election import (
            Additive_Cardinal_Sat,
            Cost_Sat,
            CumulativeBallot,
            CumulativeProfile,
            Instance,
        )
        from pabutools.election import Project as ReferenceProject
        from pabutools.rules import method_of_equal_shares

    a, b = ReferenceProject("A", 10), ReferenceProject("B", 8)
    profile = CumulativeProfile([CumulativeBallot({a: 3, b: 0}), CumulativeBallot({b: 2})])
    reference = method_of_equal_shares(
        Instance([a, b], budget_limit=12), profile, sat_class=Additive_Cardinal_Sat
    )
    assert [p.name for p in reference] == []
    # only pabutools' approval-like cost satisfaction counts the bare listing as support
    listing = method_of_equal_shares(Instance([a, b], budget_limit=12), profile, sat_class=Cost_Sat)
    assert [p.name for p in listing] == ["B"]
