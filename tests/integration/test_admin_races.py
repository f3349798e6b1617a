"""Two admins change one edition at once: each change is checked against what the other saved.

Every request reads the edition first and writes it later. Without the edition's row locked and
read afresh, the second admin's change was checked against the edition as it stood before the
first one's: two "start this phase now" both went through (voting opened, then closed again, and
the log's second entry named a schedule that no longer existed), and two groups, or a group and a
smaller total budget, shared more money than the edition had (found by attacking).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.audit import chain as audit
from pb.audit.models import AuditEntry
from pb.core.errors import InvalidInput, PBError, PhaseClosed
from pb.core.extensions import db
from pb.editions import operations as service
from pb.editions.models import Category, Edition, Phase
from tests.factories import make_category, make_user
from tests.factories_proposals import ENGLISH, NOW, edition_with_criteria


@pytest.fixture
def app_config() -> dict:
    return dict(ENGLISH)


@pytest.fixture
def setting(app):
    edition = edition_with_criteria(Phase.REVIEW, total_budget=1_000_000)
    make_category(edition, budget=500_000, min_project_cost=10_000, max_project_cost=200_000)
    admin = make_user(Role.ADMIN)
    db.session.commit()
    return edition.id, admin.id


def stale_request(
    app, edition_id: int, admin_id: int, act: Callable[[User, Edition], object]
) -> Callable[[], BaseException | None]:
    """Start the second admin's request: it reads the edition and its groups (as its page and
    checks do), then waits while the first admin's change is committed. The returned function
    lets it go on to `act` and commit, and gives back what it was refused with (None if nothing).
    """
    have_read, go_on = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def second_admin() -> None:
        with app.app_context():
            try:
                edition = db.session.get(Edition, edition_id)
                assert edition is not None
                assert sum(group.budget for group in edition.categories) >= 0
                admin = db.session.get(User, admin_id)
                assert admin is not None
                have_read.set()
                go_on.wait(30)
                act(admin, edition)
                db.session.commit()
                outcome.append(None)
            except BaseException as error:  # noqa: BLE001 (reported in the test's thread)
                db.session.rollback()
                outcome.append(error)
                have_read.set()
            finally:
                db.session.remove()

    worker = threading.Thread(target=second_admin)
    worker.start()
    assert have_read.wait(30)

    def finish() -> BaseException | None:
        go_on.set()
        worker.join(60)
        assert outcome, "the second admin's request did not end"
        return outcome[0]

    return finish


def first_admin(edition_id: int, admin_id: int, act: Callable[[User, Edition], object]) -> None:
    act(db.session.get(User, admin_id), db.session.get(Edition, edition_id))
    db.session.commit()


def test_a_second_schedule_move_cannot_close_voting_the_first_one_opened(app, setting):
    edition_id, admin_id = setting
    finish = stale_request(
        app,
        edition_id,
        admin_id,
        lambda admin, edition: service.shift_schedule(admin, edition, Phase.APPEAL, NOW),
    )
    first_admin(
        edition_id,
        admin_id,
        lambda admin, edition: service.shift_schedule(admin, edition, Phase.VOTING, NOW),
    )
    refused = finish()

    assert isinstance(refused, PhaseClosed)
    assert "Voting has opened" in refused.message
    db.session.expire_all()
    edition = db.session.get(Edition, edition_id)
    assert edition.voting_starts_at == NOW.replace(tzinfo=edition.voting_starts_at.tzinfo)
    moves = list(
        db.session.scalars(select(AuditEntry).where(AuditEntry.action == "edition.schedule_shift"))
    )
    assert [json.loads(m.after)["phase_starts_now"] for m in moves] == ["voting"]
    assert audit.verify_chain().intact


def add_group(budget: int) -> Callable[[User, Edition], object]:
    def act(admin: User, edition: Edition) -> object:
        data = service.CategoryInput(
            name=f"Skupina za {budget}", budget=budget, max_project_cost=budget, min_choices=1
        )
        return service.save_category(admin, edition, None, data, NOW)

    return act


def groups_budget(edition_id: int) -> int:
    return db.session.scalar(
        select(func.sum(Category.budget)).where(Category.edition_id == edition_id)
    )


def test_two_new_groups_at_once_cannot_share_more_than_the_total_budget(app, setting):
    edition_id, admin_id = setting
    finish = stale_request(app, edition_id, admin_id, add_group(300_000))
    first_admin(edition_id, admin_id, add_group(300_000))
    refused = finish()

    assert isinstance(refused, InvalidInput) and refused.field == "budget"
    assert groups_budget(edition_id) == 800_000


def test_the_total_budget_cannot_shrink_below_a_group_added_meanwhile(app, setting):
    edition_id, admin_id = setting

    def shrink(admin: User, edition: Edition) -> object:
        settings = replace(service.EditionSettings.of(edition), total_budget=600_000)
        return service.update_edition(admin, edition, settings, NOW)

    finish = stale_request(app, edition_id, admin_id, shrink)
    first_admin(edition_id, admin_id, add_group(300_000))
    refused = finish()

    assert isinstance(refused, PBError) and refused.field == "total_budget"
    db.session.expire_all()
    assert db.session.get(Edition, edition_id).total_budget == 1_000_000
    assert groups_budget(edition_id) == 800_000
