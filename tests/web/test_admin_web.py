"""Administration pages through the test client: roles, errors at fields, never a 500, the audit log."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from pb.accounts.models import Role, User
from pb.audit import chain as audit
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions import operations as edition_admin
from pb.editions.models import Category, Criterion, Edition, Phase
from tests.factories import make_category, make_edition, make_user
from tests.factories_proposals import ENGLISH, NOW, count, edition_with_criteria

PRAGUE = ZoneInfo("Europe/Prague")


@pytest.fixture
def app_config() -> dict:
    return {**ENGLISH, "PB_FROZEN_NOW": NOW.isoformat()}


@pytest.fixture
def setting(app):
    edition = edition_with_criteria(Phase.SUBMISSION, slug="rocnik", total_budget=1_000_000)
    make_category(edition, budget=500_000, min_project_cost=10_000, max_project_cost=200_000)
    make_user(Role.ADMIN, email="alena@example.cz")
    make_user(Role.OFFICIAL, email="ondrej@example.cz")
    make_user(Role.COMMISSION, email="katka@example.cz")
    make_user(Role.RESIDENT, email="radka@example.cz")
    db.session.commit()
    return edition


def html(response) -> str:
    return response.get_data(as_text=True)


def local(value) -> str:
    return value.astimezone(PRAGUE).strftime("%Y-%m-%dT%H:%M")


def edition_form(edition: Edition, **overrides) -> dict:
    data = {
        "name": edition.name,
        "name_en": edition.name_en or "",
        "description": edition.description,
        "description_en": "",
        "total_budget": str(edition.total_budget),
        "required_supports": str(edition.required_supports),
        "min_voter_age": "",
        "eligibility_policy": edition.eligibility_policy.value,
        "id_scheme": edition.id_scheme.value,
    }
    for name in edition_admin.SCHEDULE_FIELDS:
        data[name] = local(getattr(edition, name))
    data.update(overrides)
    return data


URLS = [
    "/admin/",
    "/admin/editions/new",
    "/admin/editions/rocnik",
    "/admin/editions/rocnik/groups/new",
    "/admin/editions/rocnik/criteria",
    "/admin/audit",
]


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (None, 302),
        ("radka@example.cz", 403),
        ("ondrej@example.cz", 403),
        ("katka@example.cz", 403),
        ("alena@example.cz", 200),
    ],
)
def test_only_admins_open_the_administration(client, auth, setting, email, status):
    if email:
        auth.login(email)
    for url in URLS:
        assert client.get(url).status_code == status, url


def test_an_official_cannot_post_settings(client, auth, setting):
    auth.login("ondrej@example.cz")
    response = client.post(
        "/admin/editions/rocnik", data=edition_form(setting, required_supports="50")
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert setting.required_supports == 0 and count(AuditEntry) == 0


def test_the_admin_sets_required_supports_and_the_change_is_audited(client, auth, setting):
    auth.login("alena@example.cz")
    response = client.post(
        "/admin/editions/rocnik", data=edition_form(setting, required_supports="50")
    )
    assert response.status_code == 303
    assert setting.required_supports == 50
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "edition.update" and '"required_supports":50' in entry.after


def test_a_schedule_out_of_order_is_shown_at_the_field_and_nothing_changes(client, auth, setting):
    auth.login("alena@example.cz")
    before = edition_admin.EditionSettings.of(setting)
    data = edition_form(setting, review_ends_at=local(setting.review_starts_at))
    response = client.post("/admin/editions/rocnik", data=data)
    assert response.status_code == 422
    page = html(response)
    assert 'id="review_ends_at-error"' in page and "must end after it starts" in page
    db.session.expire_all()
    assert edition_admin.EditionSettings.of(setting) == before and count(AuditEntry) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_budget", "lots"),
        ("total_budget", "99999999999999999999"),
        ("total_budget", "9" * 400),  # too wide for NumberRange's float: was a 500
        ("required_supports", "-" + "9" * 400),
        ("total_budget", "-5"),
        ("required_supports", "1e9"),
        ("min_voter_age", "200"),
        ("submission_starts_at", "yesterday"),
        ("submission_starts_at", "0001-01-01T00:00"),  # before year 1 in UTC: was a 500
        ("voting_ends_at", "9999-12-31T23:59"),  # no shift of the schedule could move it
        ("eligibility_policy", "anyone"),
    ],
)
def test_nonsense_in_the_edition_form_is_refused_at_the_field_never_a_500(
    client, auth, setting, field, value
):
    auth.login("alena@example.cz")
    response = client.post("/admin/editions/rocnik", data=edition_form(setting, **{field: value}))
    assert response.status_code == 422
    assert f'id="{field}-error"' in html(response)


def test_moving_the_schedule_needs_the_ticked_confirmation(client, auth, setting):
    auth.login("alena@example.cz")
    page = html(client.get("/admin/editions/rocnik"))
    assert "What moving does" in page and 'name="confirm"' in page
    unconfirmed = client.post("/admin/editions/rocnik/shift", data={"phase": "review"})
    assert unconfirmed.status_code == 422
    assert 'id="confirm-error"' in html(unconfirmed) and 'href="#confirm"' in html(unconfirmed)
    assert setting.phase_at(NOW) != Phase.REVIEW


def test_moving_the_schedule_from_the_page(client, auth, setting):
    auth.login("alena@example.cz")
    response = client.post("/admin/editions/rocnik/shift", data={"phase": "review", "confirm": "y"})
    assert response.status_code == 303
    assert setting.phase_at(NOW) == Phase.REVIEW and setting.review_starts_at == NOW
    assert client.get("/admin/editions/rocnik/shift").status_code == 405


def test_a_group_costlier_than_its_budget_is_refused_at_the_field(client, auth, setting):
    auth.login("alena@example.cz")
    data = {
        "name": "Velké",
        "budget": "300000",
        "min_project_cost": "0",
        "max_project_cost": "400000",
        "district_id": "",
        "ballot_rule": "approval",
        "min_choices": "1",
        "tally_rule": "greedy",
        "position": "1",
    }
    response = client.post("/admin/editions/rocnik/groups/new", data=data)
    assert response.status_code == 422
    assert 'id="max_project_cost-error"' in html(response) and "whole budget" in html(response)
    assert count(Category) == 1
    data["max_project_cost"] = "250000"
    assert client.post("/admin/editions/rocnik/groups/new", data=data).status_code == 303
    assert count(Category) == 2
    assert db.session.scalar(select(AuditEntry.action)) == "category.create"


def test_editing_a_group_of_another_edition_is_not_found(client, auth, setting):
    other = edition_with_criteria(Phase.SUBMISSION, slug="jiny")
    group = make_category(other)
    db.session.commit()
    auth.login("alena@example.cz")
    assert client.get(f"/admin/editions/rocnik/groups/{group.id}").status_code == 404


def test_criteria_are_added_edited_and_removed_from_the_pages(client, auth, setting):
    auth.login("alena@example.cz")
    added = client.post(
        "/admin/editions/rocnik/criteria",
        data={
            "name": "Udržitelnost",
            "name_en": "Sustainability",
            "description": "",
            "position": "5",
        },
    )
    assert added.status_code == 303
    criterion = db.session.scalar(select(Criterion).where(Criterion.name == "Udržitelnost"))
    edit_url = f"/admin/editions/rocnik/criteria/{criterion.id}"
    assert 'value="Udržitelnost"' in html(client.get(edit_url))
    assert (
        client.post(edit_url, data={"name": "Udržitelnost provozu", "position": "5"}).status_code
        == 303
    )
    assert criterion.name == "Udržitelnost provozu"
    duplicate = client.post(
        "/admin/editions/rocnik/criteria", data={"name": "udržitelnost provozu"}
    )
    assert duplicate.status_code == 409 and 'id="name-error"' in html(duplicate)
    assert client.post(edit_url + "/delete").status_code == 303
    assert count(Criterion) == 3
    assert [a for a in db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))] == [
        "criterion.create",
        "criterion.update",
        "criterion.delete",
    ]


def test_the_audit_log_is_newest_first_paged_and_reports_the_chain(client, auth, setting):
    actor = db.session.scalar(select(User).where(User.email == "alena@example.cz"))
    for i in range(edition_admin.AUDIT_PAGE_SIZE + 5):
        audit.record(actor, "edition.update", audit.Subject("edition", i), now=NOW)
    db.session.commit()
    auth.login("alena@example.cz")
    page = html(client.get("/admin/audit"))
    ids = [int(n) for n in re.findall(r"<tr\s*>\s*<td>(\d+)</td>", page)]
    assert ids[0] == edition_admin.AUDIT_PAGE_SIZE + 5 and ids == sorted(ids, reverse=True)
    assert len(ids) == edition_admin.AUDIT_PAGE_SIZE
    assert "is intact" in page and "Page 1 of 2" in page
    second = html(client.get("/admin/audit?page=2"))
    assert "Page 2 of 2" in second
    assert client.get("/admin/audit?page=abc").status_code == 200
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


def test_a_tampered_audit_row_shows_on_the_page(client, auth, setting):
    auth.login("alena@example.cz")
    client.post("/admin/editions/rocnik", data=edition_form(setting, required_supports="7"))
    entry = db.session.scalar(select(AuditEntry))
    db.session.execute(text("UPDATE audit_entry SET after = '{}' WHERE id = :id"), {"id": entry.id})
    db.session.commit()
    page = html(client.get("/admin/audit"))
    assert f"broken at entry {entry.id}" in page and "is-broken" in page


# --- a new edition ----------------------------------------------------------------------------


def new_edition_form(template: Edition, **overrides) -> dict:
    wanted = {"slug": "liberec-2027", "name": "Participativní rozpočet 2027", **overrides}
    return edition_form(template, **wanted)


def test_the_admin_creates_an_edition_and_the_creation_is_audited(client, auth, setting):
    auth.login("alena@example.cz")
    page = client.get("/admin/")
    assert 'href="/admin/editions/new"' in html(page)
    assert client.get("/admin/editions/new").status_code == 200
    response = client.post("/admin/editions/new", data=new_edition_form(setting))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/editions/liberec-2027")
    created = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2027"))
    assert created.name == "Participativní rozpočet 2027"
    assert created.total_budget == setting.total_budget
    assert created.timezone == "Europe/Prague"
    assert created.voting_starts_at == setting.voting_starts_at
    assert created.categories == [] and created.criteria == []
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "edition.create" and '"slug":"liberec-2027"' in entry.after
    assert client.get("/editions/liberec-2027").status_code == 200


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "This field is required"),
        ("Liberec 2027", "small letters without accents"),
        ("příští", "small letters without accents"),
        ("ab", "small letters without accents"),
        ("a--b", "small letters without accents"),
        ("new", "small letters without accents"),
        ("rocnik", "Another edition already has this address"),
    ],
)
def test_a_bad_or_taken_address_is_refused_at_its_field_and_nothing_is_created(
    client, auth, setting, slug, message
):
    auth.login("alena@example.cz")
    response = client.post("/admin/editions/new", data=new_edition_form(setting, slug=slug))
    assert response.status_code in (409, 422)
    page = html(response)
    assert 'id="slug-error"' in page and message in page
    assert count(Edition) == 1 and count(AuditEntry) == 0


def test_a_new_edition_with_its_schedule_out_of_order_is_refused_at_the_field(
    client, auth, setting
):
    auth.login("alena@example.cz")
    data = new_edition_form(setting, voting_ends_at=local(setting.voting_starts_at))
    response = client.post("/admin/editions/new", data=data)
    assert response.status_code == 422
    assert 'id="voting_ends_at-error"' in html(response)
    assert count(Edition) == 1 and count(AuditEntry) == 0


def test_an_official_cannot_create_an_edition(client, auth, setting):
    auth.login("ondrej@example.cz")
    response = client.post("/admin/editions/new", data=new_edition_form(setting))
    assert response.status_code == 403 and count(Edition) == 1


# --- removing a project group ------------------------------------------------------------------


def test_the_admin_removes_an_empty_group_and_the_removal_is_audited(client, auth, setting):
    auth.login("alena@example.cz")
    group = setting.categories[0]
    url = f"/admin/editions/rocnik/groups/{group.id}"
    assert "Remove the group" in html(client.get(url))
    response = client.post(url + "/delete")
    assert response.status_code == 303
    db.session.expire_all()
    assert count(Category) == 0
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "category.delete" and '"edition":"rocnik"' in entry.before
    assert client.get(url).status_code == 404


def test_a_group_with_proposals_or_after_voting_starts_is_not_removed(client, app, auth, setting):
    from tests.factories import make_proposal

    auth.login("alena@example.cz")
    group = setting.categories[0]
    make_proposal(setting, category=group)
    db.session.commit()
    url = f"/admin/editions/rocnik/groups/{group.id}/delete"
    refused = client.post(url)
    assert refused.status_code == 409
    assert "1 proposal is in this group" in html(refused) and 'role="alert"' in html(refused)
    app.config["PB_FROZEN_NOW"] = setting.voting_starts_at.isoformat()
    late = client.post(url)
    assert late.status_code == 409 and "can no longer change: voting has opened" in html(late)
    assert count(Category) == 1 and count(AuditEntry) == 0


@pytest.mark.parametrize(
    ("field", "value", "frozen"),
    [
        ("total_budget", "2000000", "The total budget can no longer change"),
        ("eligibility_policy", "contact", "Who may vote can no longer change"),
        ("min_voter_age", "18", "The minimum age can no longer change"),
        ("id_scheme", "pesel", "The kind of identity number can no longer change"),
        ("required_supports", "5", "The number of supports can no longer change"),
        # Was refused as "This part of the schedule can no longer change" (found by attacking).
        ("accept_eid", "y", "Verification with eID can no longer change"),
    ],
)
def test_frozen_rules_are_refused_through_the_form_at_their_field(
    client, auth, setting, field, value, frozen
):
    voting = make_edition(Phase.VOTING, now=NOW, slug="hlasovani", total_budget=1_000_000)
    db.session.commit()
    auth.login("alena@example.cz")
    response = client.post("/admin/editions/hlasovani", data=edition_form(voting, **{field: value}))
    assert response.status_code == 409
    page = html(response)
    assert f'id="{field}-error"' in page
    assert frozen in page and "voting has opened" in page
    db.session.refresh(voting)
    assert voting.total_budget == 1_000_000 and voting.min_voter_age is None


def test_after_voting_starts_now_the_name_is_still_corrected_and_no_date_moves(
    client, auth, app, setting
):
    """ "Start this phase now" set the dates to the second; the form edits them to the minute, so
    saving the page as shown changed every date: during voting a corrected name was refused as a
    change of the schedule, before it the dates moved by seconds nobody asked for (found by
    attacking)."""
    auth.login("alena@example.cz")
    started = NOW + timedelta(seconds=17)
    app.config["PB_FROZEN_NOW"] = started.isoformat()
    moved = client.post("/admin/editions/rocnik/shift", data={"phase": "voting", "confirm": "y"})
    assert moved.status_code == 303
    db.session.refresh(setting)
    schedule = {name: getattr(setting, name) for name in edition_admin.SCHEDULE_FIELDS}
    app.config["PB_FROZEN_NOW"] = (started + timedelta(minutes=5)).isoformat()
    saved = client.post("/admin/editions/rocnik", data=edition_form(setting, name="Opravený název"))
    assert saved.status_code == 303, html(saved)
    db.session.refresh(setting)
    assert setting.name == "Opravený název"
    assert {name: getattr(setting, name) for name in edition_admin.SCHEDULE_FIELDS} == schedule
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.update"))
    assert set(json.loads(entry.after)) == {"name"}


def test_the_schedule_cannot_be_moved_once_voting_opened(client, auth, setting):
    make_edition(Phase.VOTING, now=NOW, slug="hlasovani")
    db.session.commit()
    auth.login("alena@example.cz")
    for phase in ("voting", "appeal"):
        response = client.post(
            "/admin/editions/hlasovani/shift", data={"phase": phase, "confirm": "y"}
        )
        assert response.status_code == 422 and "schedule is frozen" in html(response)


def test_the_edition_form_marks_the_declaration_as_weakest_and_takes_the_eid_option(
    client, auth, setting
):
    auth.login("alena@example.cz")
    page = html(client.get("/admin/editions/new"))
    hint = re.search(r'<p class="hint" id="eligibility_policy-hint">([^<]*)</p>', page)
    assert hint and "The declaration is the weakest" in hint.group(1)
    assert 'aria-describedby="eligibility_policy-hint"' in page
    assert 'id="accept_eid"' in page and 'id="accept_eid-hint"' in page
    data = new_edition_form(setting, eligibility_policy="registry", accept_eid="y")
    assert client.post("/admin/editions/new", data=data).status_code == 303
    created = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2027"))
    assert created.accept_eid is True
    assert setting.accept_eid is False  # off unless the admin ticks it
