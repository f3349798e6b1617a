"""Ranked ballots, the reserve and exclusive pairs through the pages (issue 14): the admin's group
form, a ranked ballot cast online and on paper without JavaScript, an official marking a pair in
review, the public proposal page and the published results."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role
from pb.core.extensions import db
from pb.editions.models import BallotRule, Category, Phase, TallyRule
from pb.proposals.models import ExclusivePair, ProposalStatus
from pb.voting import ballot_box
from pb.voting.models import BallotChoice, Envelope
from tests.factories import make_category, make_edition, make_proposal, make_user
from tests.factories_voting import (
    declare_online,
    give_key,
    make_group,
    make_on_ballot,
    make_voting_edition,
)
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401


def html(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, auth, role=Role.RESIDENT, **overrides):
    user = make_user(role, **overrides)
    db.session.commit()
    auth.login(user.email)
    client.get("/language/en")
    return user


def test_the_admin_sets_a_ranked_group_with_points_by_rank_and_a_reserve(client, auth, app):
    edition = make_edition(Phase.SUBMISSION, slug="krakow", total_budget=1_000_000)
    db.session.commit()
    sign_in(client, auth, Role.ADMIN)
    page = client.get("/admin/editions/krakow/groups/new")
    assert "Ranked: points by rank" in html(page) and "Reserve share in %" in html(page)
    data = {
        "name": "Kraków",
        "budget": "300000",
        "min_project_cost": "0",
        "max_project_cost": "300000",
        "ballot_rule": "ranked",
        "max_ranks": "3",
        "rank_points": "3,2",
        "tally_rule": "greedy-custom",
        "reserve_percent": "",
    }
    refused = client.post("/admin/editions/krakow/groups/new", data=data)
    assert refused.status_code == 422
    assert 'id="rank_points-error"' in html(refused) and "3,2,1" in html(refused)
    data["rank_points"] = "3, 2, 1"
    assert client.post("/admin/editions/krakow/groups/new", data=data).status_code == 303
    saved = db.session.scalar(select(Category).where(Category.edition_id == edition.id))
    assert (saved.ballot_rule, saved.rank_points, saved.tally_rule, saved.reserve_percent) == (
        BallotRule.RANKED,
        "3,2,1",
        TallyRule.GREEDY_CUSTOM,
        80,
    )


@pytest.mark.usefixtures("ballot_box_invariant")
def test_a_ranked_ballot_is_cast_online_without_javascript(client, auth, app):
    edition = make_voting_edition(key=False)
    shares = give_key(edition)
    ranked = make_group(edition, BallotRule.RANKED)
    first, second, third, fourth = (make_on_ballot(edition, ranked) for _ in range(4))
    sign_in(client, auth)
    declare_online(client, edition, "7103192745")
    page = html(client.get(f"/vote/{edition.slug}/ballot"))
    assert "Rank up to 3 projects, your first choice first; points by rank: 3, 2, 1." in page
    assert f'<select id="p{first.id}" name="p{first.id}">' in page
    assert '<option value="1">Rank 1 (3 points)</option>' in page
    assert '<option value="3">Rank 3 (1 point)</option>' in page

    twice = {f"p{first.id}": "1", f"p{second.id}": "1", "review": "1"}
    refused = client.post(f"/vote/{edition.slug}/ballot", data=twice)
    assert refused.status_code == 422
    assert "rank 1 is given to 2 projects" in html(refused)
    gap = {f"p{first.id}": "1", f"p{second.id}": "3", "review": "1"}
    assert "rank 2 is missing" in html(client.post(f"/vote/{edition.slug}/ballot", data=gap))
    four = {f"p{p.id}": str(i) for i, p in enumerate((first, second, third, fourth), 1)}
    assert "rank at most 3" in html(client.post(f"/vote/{edition.slug}/ballot", data=four))

    marks = {f"p{third.id}": "1", f"p{first.id}": "2"}
    confirm = html(client.post(f"/vote/{edition.slug}/ballot", data={**marks, "review": "1"}))
    assert "Confirm your ballot" in confirm
    assert confirm.index("Rank 1 (3 points)") < confirm.index("Rank 2 (2 points)")
    assert confirm.index(third.title) < confirm.index(first.title)
    cast = client.post(f"/vote/{edition.slug}/cast", data=marks)
    assert cast.status_code == 303
    assert "receipt-code" in html(client.get(cast.headers["Location"]))
    # The sealed envelope holds the ranks; opened after voting, the ballot keeps the rank, and
    # points are given only at the count.
    member = make_user(Role.COMMISSION, email="komise@example.cz")
    ballot_box.open_ballot_box(
        edition, shares[:2], actor=member, now=edition.voting_ends_at + timedelta(minutes=1)
    )
    stored = dict(db.session.execute(select(BallotChoice.proposal_id, BallotChoice.value)).all())
    assert stored == {third.id: 1, first.id: 2}


@pytest.mark.usefixtures("ballot_box_invariant")
def test_a_ranked_paper_ballot_uses_the_same_form(client, auth, app):
    edition = make_voting_edition()
    ranked = make_group(edition, BallotRule.RANKED)
    first, second = (make_on_ballot(edition, ranked) for _ in range(2))
    sign_in(client, auth, Role.OFFICIAL)
    client.post(
        f"/paper/{edition.slug}/",
        data={
            "polling_place": "ZŠ Husova",
            "id_number": "8562045580",
            "district": "",
            "declaration": "y",
        },
    )
    done = client.post(f"/paper/{edition.slug}/cast")  # check-in: the person gets a sheet
    assert done.headers["Location"].endswith(f"/paper/{edition.slug}/")
    page = html(client.get(f"/paper/{edition.slug}/sheets"))  # ballot entry, with no name
    assert f'<select id="p{second.id}" name="p{second.id}">' in page
    entered = client.post(
        f"/paper/{edition.slug}/sheets",
        data={f"p{second.id}": "1", "polling_place": "ZŠ Husova", "sheet": ""},
    )
    assert entered.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Envelope)) == 1


def test_an_official_marks_and_removes_a_pair_on_the_review_page(client, auth, app):
    edition = make_edition(Phase.REVIEW, slug="warszawa")
    category = make_category(edition)
    first = make_proposal(edition, category, number=12, title="Plac zabaw")
    second = make_proposal(edition, category, number=15, title="Parking na tej samej działce")
    make_proposal(edition, make_category(edition), number=20, title="Elsewhere")
    sign_in(client, auth, Role.OFFICIAL)
    page = html(client.get("/review/warszawa/12"))
    assert "Cannot be carried out together with" in page
    assert '<option value="15">No. 15 Parking na tej samej działce</option>' in page
    assert 'value="20"' not in page  # another group is not offered

    refused = client.post("/review/warszawa/12/exclusive", data={"other": "20"})
    assert refused.status_code == 422 and "another project group" in html(refused)
    marked = client.post("/review/warszawa/12/exclusive", data={"other": "15"})
    assert marked.status_code == 303
    pair = db.session.scalar(select(ExclusivePair))
    assert (pair.first_id, pair.second_id) == (first.id, second.id)
    other_side = html(client.get("/review/warszawa/15"))
    assert 'href="/review/warszawa/12">No. 12' in other_side

    public = html(client.get("/editions/warszawa/proposals/15"))
    assert "Cannot be carried out together with" in public
    assert 'href="/editions/warszawa/proposals/12">No. 12</a>' in public

    removed = client.post(f"/review/warszawa/15/exclusive/{pair.id}/delete")
    assert removed.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(ExclusivePair)) == 0


def test_a_resident_cannot_mark_a_pair(client, auth, app):
    edition = make_edition(Phase.REVIEW, slug="warszawa")
    category = make_category(edition)
    make_proposal(edition, category, number=12)
    make_proposal(edition, category, number=15)
    sign_in(client, auth)
    assert client.post("/review/warszawa/12/exclusive", data={"other": "15"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ExclusivePair)) == 0


def test_pairs_are_frozen_on_the_review_page_once_voting_opens(client, auth, app):
    edition = make_edition(Phase.VOTING, slug="warszawa")
    category = make_category(edition)
    make_proposal(edition, category, number=12, status=ProposalStatus.ELIGIBLE)
    make_proposal(edition, category, number=15, status=ProposalStatus.ELIGIBLE)
    sign_in(client, auth, Role.OFFICIAL)
    page = html(client.get("/review/warszawa/12"))
    assert "then they are frozen" in page and "/exclusive" not in page
    refused = client.post("/review/warszawa/12/exclusive", data={"other": "15"})
    assert refused.status_code == 409 and "frozen" in html(refused)


def test_the_results_say_points_by_rank_and_list_the_reserve_apart(client, app):
    from tests.integration.test_rules_platform import publish, three_rule_edition

    edition, (ranked, reserve, exclusive), _ps, rs, es = three_rule_edition()
    publish(edition)
    client.get("/language/en")
    page = html(client.get(f"/editions/{edition.slug}/results"))
    assert "Ranked ballots: up to 3 projects ranked; points by rank: 3, 2, 1." in page
    assert "Funded from the reserve" in page
    group_page = html(client.get(f"/editions/{edition.slug}/results/groups/{reserve.id}"))
    assert "83% of its cost was left" in group_page
    assert 'class="badge outcome-reserve"' in group_page
    pair_page = html(client.get(f"/editions/{edition.slug}/results/groups/{exclusive.id}"))
    assert re.search(
        rf"cannot be carried out together with proposal No. {es[0].number}, which was funded",
        pair_page,
    )
    czech = client.get("/language/cs")
    assert czech.status_code in (302, 303)
    cs_page = html(client.get(f"/editions/{edition.slug}/results/groups/{reserve.id}"))
    assert "Financován z rezervy" in cs_page
