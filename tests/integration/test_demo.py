from datetime import UTC, datetime

from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.accounts.operations import authenticate
from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.demo.load import DEMO_PASSWORD, load_demo
from pb.editions.models import Category, Edition, Phase
from pb.proposals.models import Proposal, ProposalStatus

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_liberec_2024_as_the_city_ran_it(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    assert edition.total_budget == 10_000_000
    groups = [
        (c.name, c.budget, c.min_project_cost, c.max_project_cost) for c in edition.categories
    ]
    assert groups == [
        ("Malé projekty", 3_000_000, 40_000, 400_000),
        ("Velké projekty", 5_000_000, 400_000, 1_000_000),
        ("Extra velký projekt", 2_000_000, 1_000_000, 2_000_000),
    ]
    for category in edition.categories:
        assert (category.plus_votes, category.minus_votes, category.minus_requires_plus) == (
            3,
            1,
            2,
        )
    assert edition.phase_at(NOW) == Phase.COUNTING  # it keeps its real 2024 dates
    voting_start = edition.voting_starts_at.astimezone(edition_zone(edition))
    assert (voting_start.month, voting_start.day) == (10, 1)


def edition_zone(edition):
    from zoneinfo import ZoneInfo

    return ZoneInfo(edition.timezone)


def test_demo_has_a_living_edition_with_a_district_group(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    current = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2026"))
    assert current.phase_at(NOW) not in (Phase.PREPARATION, Phase.COUNTING, Phase.PUBLISHED)
    district_groups = [c for c in current.categories if c.district is not None]
    assert [c.district.name for c in district_groups] == ["Vratislavice nad Nisou"]


def test_demo_proposals_are_varied_and_within_their_groups_limits(
    app, backend, demo_templates, app_config
):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    proposals = list(db.session.scalars(select(Proposal)))
    liberec = [p for p in proposals if p.edition.slug in ("liberec-2024", "liberec-2026")]
    # The built 2023 edition (pb/demo/implementation.py) and the practice vote (pb/demo/voting.py) adds its own; 2024 has its whole ballot of
    # 31 proposals, 24 of them from the counting demo (pb/demo/results.py).
    assert 40 <= len(liberec) <= 50
    statuses = {p.status for p in proposals}
    assert {
        ProposalStatus.SUBMITTED,
        ProposalStatus.NEEDS_CHANGES,
        ProposalStatus.ELIGIBLE,
        ProposalStatus.INELIGIBLE,
        ProposalStatus.WITHDRAWN,
    } <= statuses
    for p in proposals:
        if p.status != ProposalStatus.INELIGIBLE:
            assert p.category.min_project_cost <= p.total_cost <= p.category.max_project_cost, (
                p.title
            )


def test_demo_is_idempotent(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    before = {m: count(m) for m in (User, Edition, Category, Proposal, AuditEntry)}
    added = load_demo(NOW)
    db.session.commit()
    assert added == {"accounts": 0, "districts": 0, "editions": 0, "proposals": 0}
    assert {m: count(m) for m in before} == before


def test_demo_has_one_account_per_role_that_can_sign_in(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    assert authenticate("admin@example.cz", DEMO_PASSWORD, NOW).user.role == Role.ADMIN


def test_demo_reviews_are_in_an_intact_audit_log(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    report = verify_chain()
    assert report.intact and report.entries >= 10


def test_demo_cli_loads_and_reports(runner, app, backend):
    result = runner.invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    assert "2 editions" in result.output
    again = runner.invoke(args=["pb", "demo"])
    assert "0 editions" in again.output
