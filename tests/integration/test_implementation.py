"""Implementation tracking: scoped to the department, validated, audited, public history, follows."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from pb.accounts.models import Role
from pb.audit.chain import verify_chain
from pb.core.errors import Conflict, Forbidden, InvalidInput
from pb.core.extensions import db
from pb.editions.models import Phase
from pb.following import notices
from pb.following import operations as following
from pb.following.models import Follow, VotingReminder
from pb.implementation import operations, photos
from pb.implementation.models import ImplementationStatus, MoneyOutcome
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Appeal
from tests.factories import make_edition, make_user
from tests.factories_implementation import jpeg_with_gps, make_implementer, make_record
from tests.pictures import (
    camera_exif,
    has_metadata,
    picture_with_gps,
    picture_with_wrongly_typed_exif,
)

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"PB_PHOTO_DIR": str(tmp_path / "photos"), "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def department(app):
    return operations.create_department("investice", "Odbor investic", actor=None, now=NOW)


def change(**fields) -> operations.ImplementationChange:
    base = dict(status=ImplementationStatus.DESIGN, planned_cost=100_000, spent=0)
    base.update(fields)
    return operations.ImplementationChange(**base)


def test_an_implementer_updates_only_the_projects_of_its_department(app, department):
    other = operations.create_department("zp", "Odbor životního prostředí", actor=None, now=NOW)
    ours = make_record(NOW, department)
    theirs = make_record(NOW, other)
    implementer = make_implementer(department, NOW)
    assert implementer.role == Role.IMPLEMENTER
    assert operations.update_record(ours, change(), actor=implementer, now=NOW)
    with pytest.raises(Forbidden):
        operations.update_record(theirs, change(), actor=implementer, now=NOW)
    with pytest.raises(Forbidden):
        operations.update_record(ours, change(), actor=make_user(Role.OFFICIAL), now=NOW)
    assert operations.update_record(theirs, change(), actor=make_user(Role.ADMIN), now=NOW)


def test_revoking_the_last_department_takes_the_role_away(app, department):
    implementer = make_implementer(department, NOW)
    operations.revoke_access(implementer, department, actor=None, now=NOW)
    assert implementer.role == Role.RESIDENT
    assert operations.managed_records(make_user(Role.ADMIN)) == []


def test_every_change_is_audited_and_is_the_public_history(app, department):
    record = make_record(NOW, department)
    implementer = make_implementer(department, NOW)
    same = change(spent=20_000, planned_cost=record.planned_cost)
    operations.update_record(record, same, actor=implementer, now=NOW)
    assert not operations.update_record(record, same, actor=implementer, now=NOW)
    operations.add_milestone(
        record,
        happened_on=date(2026, 2, 1),
        text="Projekt hotov.",
        photos=[],
        actor=implementer,
        now=NOW,
    )
    history = operations.history_of(record)
    assert [e.action for e in history] == ["implementation.milestone", "implementation.update"]
    assert json.loads(history[1].after) == {"status": "design", "spent": 20_000}
    assert verify_chain().intact


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (dict(status=ImplementationStatus.NOT_FEASIBLE), "not_feasible_reason"),
        (
            dict(status=ImplementationStatus.NOT_FEASIBLE, not_feasible_reason="Poddolováno"),
            "money_outcome",
        ),
        (dict(status=ImplementationStatus.DONE), "actual_completion"),
        (
            dict(status=ImplementationStatus.DONE, actual_completion=date(2027, 1, 1)),
            "actual_completion",
        ),
        (dict(spent=-1), "spent"),
    ],
)
def test_an_incomplete_change_is_refused_at_its_field(app, department, fields, field):
    record = make_record(NOW, department)
    with pytest.raises(InvalidInput) as refused:
        operations.update_record(record, change(**fields), actor=make_user(Role.ADMIN), now=NOW)
    assert refused.value.field == field


def test_a_project_that_cannot_be_built_says_why_and_where_the_money_goes(app, department):
    record = make_record(NOW, department)
    operations.update_record(
        record,
        change(
            status=ImplementationStatus.NOT_FEASIBLE,
            not_feasible_reason="Poddolovaný terén.",
            money_outcome=MoneyOutcome.NEXT_EDITION,
        ),
        actor=make_user(Role.ADMIN),
        now=NOW,
    )
    assert record.progress == 0 and record.money_outcome == MoneyOutcome.NEXT_EDITION


def test_a_milestone_in_the_future_is_refused(app, department):
    record = make_record(NOW, department)
    with pytest.raises(InvalidInput) as refused:
        operations.add_milestone(
            record,
            happened_on=date(2026, 3, 2),
            text="Zítra",
            photos=[],
            actor=make_user(Role.ADMIN),
            now=NOW,
        )
    assert refused.value.field == "happened_on"


def test_tracking_needs_a_published_result(app):
    edition = make_edition(Phase.COUNTING, now=NOW)
    with pytest.raises(Conflict):
        operations.open_records(edition, actor=make_user(Role.ADMIN), now=NOW)


def test_a_photo_with_gps_exif_is_stored_without_any_metadata(app):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the input has GPS
    photo = photos.make_photo(original, "Nové lavičky", NOW)
    for thumbnail in (False, True):
        stored = photos.photo_file(photo.storage_key, thumbnail).read_bytes()
        image = Image.open(io.BytesIO(stored))
        assert dict(image.getexif()) == {}
        assert b"SERIAL-123456" not in stored and b"PhoneMaker" not in stored
        assert b"Exif" not in stored


@pytest.mark.parametrize(
    "content",
    [
        picture_with_gps("JPEG", orientation=6),
        # text where a number belongs: exif_transpose, which wrote the EXIF back, failed with a 500
        picture_with_wrongly_typed_exif(orientation=6),
        picture_with_gps("PNG", orientation=6),
        picture_with_gps("WEBP", orientation=6),
    ],
)
def test_a_photo_taken_sideways_is_stored_upright_without_its_exif(app, content):
    photo = photos.make_photo(content, "Nové lavičky", NOW)
    stored = photos.photo_file(photo.storage_key, False).read_bytes()
    assert (photo.width, photo.height) == Image.open(io.BytesIO(stored)).size == (48, 64)
    assert not has_metadata(stored)


def test_a_phones_multi_picture_jpeg_is_a_photo_like_any_jpeg(app):
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=camera_exif())
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    photo = photos.make_photo(out.getvalue(), "Nové lavičky", NOW)
    stored = photos.photo_file(photo.storage_key, False).read_bytes()
    assert Image.open(io.BytesIO(stored)).getpixel((5, 5))[0] > 200  # the first picture, red
    assert not has_metadata(stored)


@pytest.mark.parametrize(
    ("content", "alt", "field"),
    [
        (b"%PDF-1.7 not a photo", "Popis", "photo"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Popis", "photo"),
        (b"GIF89a" + b"\x00" * 40, "Popis", "photo"),
        (jpeg_with_gps(), "", "alt_text"),
    ],
)
def test_a_photo_that_is_not_one_or_has_no_description_is_refused(app, content, alt, field):
    with pytest.raises(InvalidInput) as refused:
        photos.make_photo(content, alt, NOW)
    assert refused.value.field == field


def test_a_photo_larger_than_the_limit_is_refused(app):
    app.config["PB_MAX_PHOTO_BYTES"] = 1000
    with pytest.raises(InvalidInput) as refused:
        photos.read_upload(io.BytesIO(b"\xff" * 1001))
    assert refused.value.field == "photo"


def test_followers_get_one_mail_per_milestone_with_a_one_click_unsubscribe(app, department):
    record = make_record(NOW, department)
    resident = make_user()
    following.follow(resident, record.proposal, NOW)
    following.follow(resident, record.proposal, NOW)  # twice is once
    admin = make_user(Role.ADMIN)
    operations.add_milestone(
        record,
        happened_on=date(2026, 2, 1),
        text="Stavba začala.",
        photos=[],
        actor=admin,
        now=NOW,
    )
    operations.update_record(
        record, change(status=ImplementationStatus.CONSTRUCTION), actor=admin, now=NOW
    )
    db.session.flush()
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == resident.email)
    ).all()
    assert [m.kind for m in mails] == ["follow.milestone", "follow.status"]
    assert "Stavba začala." in mails[0].body
    assert "Under construction" in mails[1].body


def test_an_appeal_and_a_reminder_reach_those_who_asked(app):
    edition = make_edition(Phase.VOTING, now=NOW)
    record = make_record(NOW)
    resident = make_user()
    following.follow(resident, record.proposal, NOW)
    db.session.add(Appeal(proposal=record.proposal, reason="Nesouhlasím", submitted_at=NOW))
    db.session.flush()
    following.ask_for_reminder(resident, edition, NOW)
    sent = notices.send_clock_notices(edition.voting_ends_at - (edition.voting_ends_at - NOW) / 100)
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient == resident.email)
    ).all()
    assert sorted(kinds) == ["follow.appeal", "follow.reminder"] and sent == 1
    assert db.session.scalar(select(VotingReminder)).sent_at is not None


def test_an_unsubscribe_token_names_one_follow_and_cannot_be_forged(app):
    record = make_record(NOW)
    follow = following.follow(make_user(), record.proposal, NOW)
    token = notices.unsubscribe_token(follow.id)
    assert notices.read_token(token) == ("f", follow.id)
    assert notices.read_token(token[:-2] + "xx") is None
    following.unfollow_by_id(follow.id)
    assert db.session.scalar(select(Follow)) is None


def test_the_cli_grants_and_revokes_a_departments_projects(app, department, runner):
    user = make_user(Role.RESIDENT, email="stavby@example.cz")
    db.session.commit()
    command = ["pb", "implementation"]
    granted = runner.invoke(args=[*command, "grant", "stavby@example.cz", "investice"])
    assert granted.exit_code == 0, granted.output
    assert granted.output == "stavby@example.cz now updates the projects of Odbor investic.\n"
    db.session.refresh(user)
    assert user.role == Role.IMPLEMENTER
    revoked = runner.invoke(args=[*command, "revoke", "stavby@example.cz", "investice"])
    assert revoked.exit_code == 0, revoked.output
    assert revoked.output == "stavby@example.cz no longer updates the projects of Odbor investic.\n"
    db.session.refresh(user)
    assert user.role == Role.RESIDENT
    unknown = runner.invoke(args=[*command, "grant", "nikdo@example.cz", "investice"])
    assert unknown.exit_code == 1
    assert "There is no account nikdo@example.cz" in unknown.output
