"""Ranked ballots, greedy-custom's reserve and mutually exclusive proposals on the platform (issue 14).

The admin sets them per group, officials mark exclusive pairs during review, the count passes
them to the engine, and every place the results are published (snapshot, page, JSON, CSV, API,
Pabulib file) says the same; the exported file recounted by `python -m pb.tally.cli` gives the
published winners, the reserve project and the skipped exclusive one included. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.audit.models import AuditEntry
from pb.core.errors import Forbidden, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.editions.models import BallotRule, Phase, TallyRule
from pb.editions.operations import CategoryInput, save_category
from pb.proposals.models import ExclusivePair, ProposalStatus
from pb.results import counting as results
from pb.review import exclusions
from pb.tally import read_pabulib
from tests.factories import make_category, make_edition, make_proposal, make_user
from tests.factories_results import NOW, cast, cast_many, counting_edition, group, project

ROOT = Path(__file__).resolve().parents[2]


# --- the admin's settings -----------------------------------------------------------------------


def ranked_input(**overrides) -> CategoryInput:
    fields = dict(
        name="Kraków",
        budget=100_000,
        max_project_cost=100_000,
        ballot_rule=BallotRule.RANKED,
        max_ranks=3,
        rank_points=None,
        tally_rule=TallyRule.GREEDY,
    )
    fields.update(overrides)
    return CategoryInput(**fields)


def test_a_ranked_group_keeps_its_points_by_rank_and_defaults_to_ranks_down_to_one(app, backend):
    edition = make_edition(Phase.PREPARATION, now=NOW)
    admin = make_user(Role.ADMIN)
    plain = save_category(admin, edition, None, ranked_input(), NOW)
    assert (plain.max_ranks, plain.rank_points, plain.points_by_rank) == (3, "3,2,1", (3, 2, 1))
    krakow = save_category(
        admin, edition, None, ranked_input(name="B", max_ranks=4, rank_points="5; 3, 1,0"), NOW
    )
    assert krakow.rank_points == "5,3,1,0"
    assert krakow.min_choices is None and krakow.reserve_percent is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (dict(max_ranks=None), "max_ranks"),
        (dict(max_ranks=11), "max_ranks"),
        (dict(rank_points="3,2"), "rank_points"),
        (dict(rank_points="1,2,3"), "rank_points"),
        (dict(rank_points="3,two,1"), "rank_points"),
        (dict(rank_points="0,0,0"), "rank_points"),
        (dict(rank_points="3,-1,-2"), "rank_points"),
        (dict(tally_rule=TallyRule.PLUS_MINUS), "tally_rule"),
    ],
)
def test_a_ranked_group_with_wrong_settings_is_refused_at_the_field(app, backend, overrides, field):
    edition = make_edition(Phase.PREPARATION, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        save_category(make_user(Role.ADMIN), edition, None, ranked_input(**overrides), NOW)
    assert refused.value.field == field


def test_greedy_custom_reserve_share_defaults_to_80_and_stays_within_1_to_100(app, backend):
    edition = make_edition(Phase.PREPARATION, now=NOW)
    admin = make_user(Role.ADMIN)
    data = dict(
        name="Poznań",
        budget=100_000,
        max_project_cost=100_000,
        min_choices=1,
        tally_rule=TallyRule.GREEDY_CUSTOM,
    )
    saved = save_category(admin, edition, None, CategoryInput(**data), NOW)
    assert saved.reserve_percent == 80
    for wrong in (0, 101):
        with pytest.raises(InvalidInput) as refused:
            save_category(admin, edition, None, CategoryInput(**data, reserve_percent=wrong), NOW)
        assert refused.value.field == "reserve_percent"
    greedy = save_category(
        admin, edition, saved, CategoryInput(**{**data, "tally_rule": TallyRule.GREEDY}), NOW
    )
    assert greedy.reserve_percent is None  # the share is kept only where it counts


def test_the_groups_rules_are_frozen_once_voting_opens(app, backend):
    edition = make_edition(Phase.VOTING, now=NOW)
    with pytest.raises(PhaseClosed):
        save_category(make_user(Role.ADMIN), edition, None, ranked_input(), NOW)


# --- exclusive pairs in review -------------------------------------------------------------------


def review_setup(phase: Phase = Phase.REVIEW):
    edition = make_edition(phase, now=NOW)
    category = make_category(edition)
    first, second, third = (make_proposal(edition, category) for _ in range(3))
    official = make_user(Role.OFFICIAL)
    return edition, category, (first, second, third), official


def test_an_official_marks_a_pair_in_review_audited_and_removable(app, backend):
    edition, _category, (first, second, third), official = review_setup()
    pair = exclusions.mark_exclusive(official, second, first.number, NOW)
    assert (pair.first_id, pair.second_id) == (first.id, second.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exclusive.mark"))
    assert entry.actor_id == official.id
    assert sorted(json.loads(entry.after)["pair"]) == sorted([first.number, second.number])
    assert [p.id for p in exclusions.candidates(first)] == [third.id]
    with pytest.raises(InvalidInput, match="already marked") as twice:
        exclusions.mark_exclusive(official, first, second.number, NOW)
    assert twice.value.field == "other"

    exclusions.remove_exclusive(official, first, pair.id, NOW + timedelta(days=1))
    assert db.session.scalar(select(func.count()).select_from(ExclusivePair)) == 0
    assert db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "exclusive.remove")
    )


def test_a_pair_needs_two_proposals_of_one_group_and_an_official(app, backend):
    edition, _category, (first, _second, _third), official = review_setup()
    elsewhere = make_proposal(edition, make_category(edition))
    draft = make_proposal(edition, first.category, status=ProposalStatus.DRAFT)
    for other, text in (
        (first.number, "itself"),
        (elsewhere.number, "another project group"),
        (draft.number, "no proposal"),
        (999_999, "no proposal"),
        (None, "Choose"),
    ):
        with pytest.raises(InvalidInput, match=text) as refused:
            exclusions.mark_exclusive(official, first, other, NOW)
        assert refused.value.field == "other"
    resident = make_user(Role.RESIDENT)
    with pytest.raises(Forbidden):
        exclusions.mark_exclusive(resident, first, _second.number, NOW)


def test_pairs_are_frozen_once_voting_opens_and_cannot_be_marked_before_review(app, backend):
    edition, _category, (first, second, _third), official = review_setup(Phase.APPEAL)
    pair = exclusions.mark_exclusive(official, first, second.number, NOW)  # appeals: still open
    with pytest.raises(PhaseClosed, match="frozen"):
        exclusions.mark_exclusive(official, first, _third.number, edition.voting_starts_at)
    with pytest.raises(PhaseClosed, match="frozen"):
        exclusions.remove_exclusive(official, first, pair.id, edition.voting_starts_at)
    with pytest.raises(PhaseClosed, match="review"):
        exclusions.mark_exclusive(
            official, first, _third.number, edition.review_starts_at - timedelta(seconds=1)
        )
    with pytest.raises(NotFound):
        exclusions.remove_exclusive(official, _third, pair.id, NOW)


# --- the count, the publication and the recount ------------------------------------------------


def three_rule_edition():
    """Kraków's ranked ballot, Poznań's reserve and Warsaw's exclusive pair, one group each."""
    edition = counting_edition()
    ranked = group(
        edition,
        name="Ranked",
        ballot_rule=BallotRule.RANKED,
        min_choices=None,
        max_choices=None,
        max_ranks=3,
        rank_points="3,2,1",
    )
    p1, p2, p3, p4 = (project(edition, ranked, cost) for cost in (60_000, 50_000, 30_000, 20_000))
    cast_many(edition, {p1: 1, p2: 2, p3: 3}, 3)  # P1 +9, P2 +6, P3 +3
    cast_many(edition, {p2: 1, p3: 2}, 2)  # P2 +6, P3 +4
    cast(edition, {p4: 1, p1: 2})  # P4 +3, P1 +2

    reserve = group(edition, name="Reserve", tally_rule=TallyRule.GREEDY_CUSTOM, reserve_percent=80)
    r1, r2, r3 = (project(edition, reserve, cost) for cost in (70_000, 36_000, 10_000))
    cast_many(edition, [r1, r2, r3], 1)
    cast_many(edition, [r1, r2], 1)
    cast_many(edition, [r1], 1)

    exclusive = group(edition, name="Exclusive")
    e1, e2, e3 = (project(edition, exclusive, cost) for cost in (50_000, 40_000, 30_000))
    cast_many(edition, [e1, e2, e3], 1)
    cast_many(edition, [e1, e2], 1)
    cast_many(edition, [e1], 1)
    db.session.add(ExclusivePair(edition_id=edition.id, first_id=e1.id, second_id=e2.id))
    db.session.flush()
    return edition, (ranked, reserve, exclusive), (p1, p2, p3, p4), (r1, r2, r3), (e1, e2, e3)


def number_id(snapshot_group: dict, proposal) -> str:
    return next(p["id"] for p in snapshot_group["projects"] if p["number"] == proposal.number)


def test_the_count_scores_ranks_by_points_funds_from_the_reserve_and_skips_the_excluded(
    app, backend
):
    edition, groups, ps, rs, es = three_rule_edition()
    snapshot = results.build_snapshot(edition, version=1, now=NOW, correction_reason=None)
    ranked, reserve, exclusive = (results.find_group(snapshot, g.id) for g in groups)

    scores = {p["number"]: p["score"] for p in ranked["projects"]}
    assert scores == {ps[0].number: 11, ps[1].number: 12, ps[2].number: 7, ps[3].number: 3}
    assert ranked["vote_type"] == "ordinal" and ranked["tie_break"][0] == "more-top-ranks"
    assert [int(i) for i in ranked["selected"]] == [ps[1].number, ps[2].number, ps[3].number]
    assert ranked["notes"][0]["values"]["points"] == "3, 2, 1"

    assert [int(i) for i in reserve["selected"]] == [rs[0].number]
    assert [int(i) for i in reserve["reserve"]] == [rs[1].number]
    assert reserve["reserve_share"] == "4/5" and reserve["spent"] == 70_000
    r2 = next(p for p in reserve["projects"] if p["number"] == rs[1].number)
    assert r2["funded_from_reserve"] and not r2["selected"]
    assert r2["reason"]["code"] == "funded_from_reserve"
    assert r2["reason"]["values"]["left_percent"] == 83
    assert "83% of its cost was left" in r2["reason"]["text"]

    assert exclusive["exclusive"] == [[number_id(exclusive, es[0]), number_id(exclusive, es[1])]]
    assert [int(i) for i in exclusive["selected"]] == [es[0].number, es[2].number]
    e2 = next(p for p in exclusive["projects"] if p["number"] == es[1].number)
    assert e2["reason"]["code"] == "exclusive_with_funded"
    assert int(e2["reason"]["values"]["funded"]) == es[0].number

    for snapshot_group in (ranked, reserve, exclusive):  # the snapshot recounts to itself
        again = results.recount_group(snapshot_group)
        assert list(again.selected) == snapshot_group["selected"]
        assert list(again.reserve) == snapshot_group["reserve"]


def publish(edition):
    first, second = make_user(Role.COMMISSION), make_user(Role.COMMISSION)
    result = results.count_results(edition, actor=first, now=NOW)
    for member in (first, second):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    results.publish_result(result, actor=second, now=NOW)
    db.session.commit()
    return result


def pb_tally_json(path: Path) -> dict:
    """The engine alone, as a researcher runs it: `python -m pb.tally.cli FILE --json`."""
    ran = subprocess.run(
        [sys.executable, "-m", "pb.tally.cli", str(path), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


@pytest.mark.slow
def test_the_exported_files_recount_to_the_published_winners_reserve_and_pair_included(
    app, backend, client, tmp_path
):
    edition, groups, ps, rs, es = three_rule_edition()
    result = publish(edition)
    snapshot = results.snapshot_of(result)
    slug = edition.slug
    client.get("/language/en")
    document = client.get(f"/editions/{slug}/results/v/1/results.json").get_json()
    api = client.get(f"/api/v1/editions/{slug}/results").get_json()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/editions/{slug}/results/v/1/results.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    files = {}
    for category in groups:
        body = client.get(f"/editions/{slug}/results/v/1/groups/{category.id}/ballots.pb")
        assert body.status_code == 200
        files[category.id] = tmp_path / f"group-{category.id}.pb"
        files[category.id].write_bytes(body.data)

    ranked, reserve, exclusive = groups
    # Ranked: an ordinal file whose votes carry the points by rank.
    ranked_file = read_pabulib(files[ranked.id])
    meta = ranked_file.meta_map
    assert (meta["vote_type"], meta["max_length"], meta["rule"]) == ("ordinal", "3", "greedy")
    assert "points" in ranked_file.vote_columns
    assert {row[2] for row in ranked_file.votes} == {"3,2,1", "3,2"}
    # Reserve: greedy-custom, its share, the reserve project written 2 in `selected`.
    reserve_file = read_pabulib(files[reserve.id])
    assert reserve_file.meta_map["rule"] == "greedy-custom"
    assert reserve_file.meta_map["reserve_share"] == "0.8"
    assert reserve_file.project_column("selected") == {
        number_id(results.find_group(snapshot, reserve.id), p): v
        for p, v in zip(rs, ("1", "2", "0"), strict=True)
    }
    # Exclusive: greedy-exclusive with the pairs under META exclusive_pairs.
    exclusive_file = read_pabulib(files[exclusive.id])
    assert exclusive_file.meta_map["rule"] == "greedy-exclusive"
    ids = [number_id(results.find_group(snapshot, exclusive.id), p) for p in es[:2]]
    assert exclusive_file.meta_map["exclusive_pairs"] == f"{ids[0]}:{ids[1]}"

    for category in groups:
        published = results.find_group(snapshot, category.id)
        recounted = pb_tally_json(files[category.id])
        assert recounted["selected"] == published["selected"]
        assert recounted["funded_from_reserve"] == published["reserve"]
        by_json = next(g for g in document["groups"] if g["category_id"] == category.id)
        by_api = next(g for g in api["groups"] if g["category_id"] == category.id)
        numbers = [int(i) for i in published["selected"]]
        assert by_json["selected"] == by_api["selected"] == numbers
        reserve_numbers = [int(i) for i in published["reserve"]]
        assert by_json["funded_from_reserve"] == by_api["funded_from_reserve"] == reserve_numbers
        in_csv = [r for r in rows if r["group"] == published["name"]]
        assert [int(r["number"]) for r in in_csv if r["selected"] == "1"] == sorted(
            numbers, key=[int(p["number"]) for p in published["projects"]].index
        )
        assert [int(r["number"]) for r in in_csv if r["funded_from_reserve"] == "1"] == (
            reserve_numbers
        )
    by_json = next(g for g in document["groups"] if g["category_id"] == ranked.id)
    assert by_json["points_by_rank"] == [3, 2, 1]
    by_json = next(g for g in document["groups"] if g["category_id"] == exclusive.id)
    assert by_json["exclusive_pairs"] == [[es[0].number, es[1].number]]
    assert rs[1].number in {int(r["number"]) for r in rows if r["funded_from_reserve"] == "1"}
