from pb.proposals.models import ProposalStatus
from pb.proposals.queries import ProposalFilter, search_proposals
from tests.factories import make_category, make_district, make_edition, make_proposal


def titles(page) -> list[str]:
    return [p.title for p in page.items]


def test_drafts_and_withdrawn_proposals_are_not_public(app, backend):
    edition = make_edition()
    make_proposal(edition, title="Veřejný", status=ProposalStatus.ELIGIBLE)
    make_proposal(edition, title="Koncept", status=ProposalStatus.DRAFT, number=None)
    make_proposal(edition, title="Stažený", status=ProposalStatus.WITHDRAWN)
    assert titles(search_proposals(edition, ProposalFilter())) == ["Veřejný"]


def test_filters_by_group_district_status_and_text(app, backend):
    edition = make_edition()
    small, large = make_category(edition), make_category(edition)
    centre = make_district(name="Centrum")
    make_proposal(
        edition, small, title="Lavičky v parku", district=centre, status=ProposalStatus.ELIGIBLE
    )
    make_proposal(edition, small, title="Pítko", status=ProposalStatus.SUBMITTED)
    make_proposal(
        edition,
        large,
        title="Nové hřiště",
        summary="Hřiště pro děti",
        status=ProposalStatus.INELIGIBLE,
    )
    assert titles(search_proposals(edition, ProposalFilter(category_id=large.id))) == [
        "Nové hřiště"
    ]
    assert titles(search_proposals(edition, ProposalFilter(district_id=centre.id))) == [
        "Lavičky v parku"
    ]
    assert titles(search_proposals(edition, ProposalFilter(status=ProposalStatus.SUBMITTED))) == [
        "Pítko"
    ]
    assert titles(search_proposals(edition, ProposalFilter(text="HŘIŠTĚ"))) == ["Nové hřiště"]


def test_search_text_with_like_wildcards_matches_literally(app, backend):
    edition = make_edition()
    make_proposal(edition, title="Sleva 100%")
    make_proposal(edition, title="Sleva 1000")
    assert titles(search_proposals(edition, ProposalFilter(text="100%"))) == ["Sleva 100%"]
    assert titles(search_proposals(edition, ProposalFilter(text="_"))) == []


def test_pages_hold_twenty_and_out_of_range_pages_clamp(app, backend):
    edition = make_edition()
    category = make_category(edition)
    for _ in range(45):
        make_proposal(edition, category)
    first = search_proposals(edition, ProposalFilter(page=1))
    last = search_proposals(edition, ProposalFilter(page=99))
    assert (first.total, first.pages, len(first.items)) == (45, 3, 20)
    assert (last.page, len(last.items)) == (3, 5)


def test_proposals_of_another_edition_stay_out(app, backend):
    mine, other = make_edition(), make_edition()
    make_proposal(other, title="Cizí")
    assert search_proposals(mine, ProposalFilter()).total == 0


def test_search_ignores_case_of_accented_capitals(app, backend):
    edition = make_edition()
    make_proposal(edition, title="Přechod u ZŠ Kaplického")
    make_proposal(edition, title="ŠKOLNÍ zahrada")
    assert titles(search_proposals(edition, ProposalFilter(text="zš"))) == [
        "Přechod u ZŠ Kaplického"
    ]
    assert titles(search_proposals(edition, ProposalFilter(text="školní"))) == ["ŠKOLNÍ zahrada"]


def test_search_folds_accents_and_case_both_ways(app, backend):
    edition = make_edition()
    make_proposal(edition, title="Nové hřiště", summary="Pro děti ze školy")
    make_proposal(edition, title="Školní zahrada", address="Žižkova")
    make_proposal(edition, title="Lavičky")
    assert titles(search_proposals(edition, ProposalFilter(text="hriste"))) == ["Nové hřiště"]
    assert titles(search_proposals(edition, ProposalFilter(text="HRIŠTE"))) == ["Nové hřiště"]
    assert sorted(titles(search_proposals(edition, ProposalFilter(text="skol")))) == [
        "Nové hřiště",
        "Školní zahrada",
    ]
    assert titles(search_proposals(edition, ProposalFilter(text="zizkova"))) == ["Školní zahrada"]
    assert titles(search_proposals(edition, ProposalFilter(text="skol zahrada"))) == [
        "Školní zahrada"
    ]


def test_the_folded_text_follows_a_changed_title(app, backend):
    from pb.core.extensions import db

    edition = make_edition()
    proposal = make_proposal(edition, title="Pítko")
    db.session.commit()
    proposal.title = "Řeka Nisa"
    db.session.commit()
    assert titles(search_proposals(edition, ProposalFilter(text="reka"))) == ["Řeka Nisa"]
    assert titles(search_proposals(edition, ProposalFilter(text="pitko"))) == []
