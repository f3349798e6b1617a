"""Issue 15 through the test client: texts said from the state now, "My proposals" in order, the
place as a map link, and the ballot's summary box recounted by the server without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pb.core.extensions import db
from pb.editions.models import BallotRule, Phase
from pb.proposals.models import ProposalStatus
from tests.factories import make_category, make_edition, make_proposal, make_user
from tests.factories_voting import declare_online, four_rule_edition
from tests.voting_fixtures import ballot_box_invariant  # noqa: F401


@pytest.fixture
def author(app, auth):
    user = make_user(email="eva@example.cz", name="Eva Nová")
    db.session.commit()
    auth.login("eva@example.cz")
    return user


def _titles(page: str) -> list[str]:
    return re.findall(r'<span lang="[a-z]+">(Návrh [^<]+)</span></a>', page)


def test_my_proposals_show_the_newest_edition_first_then_by_status_and_number(client, author):
    now = datetime.now(UTC)
    older = make_edition(Phase.REVIEW, now=now - timedelta(days=400), slug="starsi")
    newer = make_edition(Phase.REVIEW, now=now, slug="novejsi")
    old_group, new_group = make_category(older), make_category(newer)
    make_proposal(older, old_group, author=author, number=1, title="Návrh starý")
    make_proposal(
        newer,
        new_group,
        author=author,
        number=9,
        title="Návrh 9 eligible",
        status=ProposalStatus.ELIGIBLE,
    )
    make_proposal(newer, new_group, author=author, number=5, title="Návrh 5 submitted")
    make_proposal(newer, new_group, author=author, number=2, title="Návrh 2 submitted")
    make_proposal(
        newer,
        new_group,
        author=author,
        number=7,
        title="Návrh 7 changes",
        status=ProposalStatus.NEEDS_CHANGES,
    )
    db.session.commit()
    client.get("/language/en")
    page = client.get("/my/proposals").get_data(as_text=True)
    assert _titles(page) == [
        "Návrh 7 changes",  # asks the author to act
        "Návrh 2 submitted",
        "Návrh 5 submitted",
        "Návrh 9 eligible",
        "Návrh starý",  # the older edition last
    ]


@pytest.mark.parametrize(
    ("phase", "said"),
    [
        (Phase.APPEAL, "Eligible: it will be on the ballot from"),
        (Phase.VOTING, "On the ballot: voting is open until"),
        (Phase.COUNTING, "Voting has ended; the commission is counting the votes."),
    ],
)
def test_an_eligible_proposal_says_where_its_edition_stands_now(client, author, phase, said):
    edition = make_edition(phase, slug=f"faze-{phase.value}")
    proposal = make_proposal(
        edition, make_category(edition), author=author, status=ProposalStatus.ELIGIBLE
    )
    db.session.commit()
    client.get("/language/en")
    for url in ("/my/proposals", f"/my/proposals/{proposal.id}"):
        page = client.get(url).get_data(as_text=True)
        assert said in page, url
        assert "Eligible for voting." not in page


def test_a_published_editions_eligible_proposal_points_to_the_results(client, author):
    edition = make_edition(Phase.COUNTING, slug="sectene")
    edition.results_published_at = datetime.now(UTC) - timedelta(minutes=1)
    make_proposal(edition, make_category(edition), author=author, status=ProposalStatus.ELIGIBLE)
    db.session.commit()
    client.get("/language/en")
    page = client.get("/my/proposals").get_data(as_text=True)
    assert "The results are published." in page and 'href="/editions/sectene/results"' in page


def test_the_place_is_an_openstreetmap_link_not_raw_numbers(client, author):
    edition = make_edition(Phase.REVIEW, slug="mapa")
    proposal = make_proposal(
        edition,
        make_category(edition),
        author=author,
        latitude=Decimal("50.767222"),
        longitude=Decimal("15.056111"),
        address="Soukenné náměstí",
    )
    db.session.commit()
    client.get("/language/en")
    for url in (f"/my/proposals/{proposal.id}", f"/editions/mapa/proposals/{proposal.number}"):
        page = client.get(url).get_data(as_text=True)
        assert "https://www.openstreetmap.org/?mlat=50.767222&amp;mlon=15.056111" in page, url
        assert "Show the place on OpenStreetMap" in page
        shown = re.sub(r'href="[^"]*"', "", page)
        assert "50.767222" not in shown and "Coordinates" not in shown


@pytest.mark.usefixtures("ballot_box_invariant")
def test_the_ballot_summary_box_is_recounted_by_the_server_without_javascript(client, auth):
    edition, groups, proposals = four_rule_edition()
    user = make_user()
    db.session.commit()
    auth.login(user.email)
    client.get("/language/en")
    declare_online(client, edition, "7103192745")
    empty = client.get(f"/vote/{edition.slug}/ballot").get_data(as_text=True)
    assert 'id="ballot-tally"' in empty and "Your choices so far" in empty
    assert "Marked: 0 of at most" in empty or "Marked: 0." in empty

    knapsack = proposals[BallotRule.KNAPSACK]
    cumulative = proposals[BallotRule.CUMULATIVE]
    plus_minus = proposals[BallotRule.PLUS_MINUS]
    marks = {
        f"p{knapsack[0].id}": "1",
        f"p{knapsack[1].id}": "1",
        f"p{cumulative[0].id}": "4",
        f"p{plus_minus[0].id}": "1",
        f"p{plus_minus[1].id}": "-1",
    }
    recounted = client.post(
        f"/vote/{edition.slug}/ballot", data={**marks, "edit": "recount"}
    ).get_data(as_text=True)
    tally = recounted.split('id="ballot-tally"', 1)[1].split("</aside>", 1)[0]
    budget = groups[BallotRule.KNAPSACK].budget
    assert f"CZK\u00a0{budget - 300_000:,} left of CZK\u00a0{budget:,}." in tally
    assert f"Points left: 6 of {groups[BallotRule.CUMULATIVE].max_points}." in tally
    assert "Plus votes: 1 of" in tally and "Minus votes: 1 of" in tally
    assert knapsack[0].title in tally and knapsack[1].title in tally
    assert knapsack[2].title not in tally
    # The marks stay on the ballot, and nothing was cast.
    assert re.search(rf'id="p{knapsack[0].id}"[^>]*checked', recounted)
    assert 'name="edit" value="recount"' in recounted
