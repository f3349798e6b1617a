"""The implementing department's pages: its projects, their state, milestones and photos."""

from __future__ import annotations

import functools
import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from pb.accounts.decorators import role_required
from pb.accounts.forms import EmptyForm
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import Forbidden, InvalidInput, NotFound
from pb.core.extensions import db
from pb.core.unit_of_work import after_commit
from pb.editions import queries as editions_service
from pb.implementation import operations, photos
from pb.implementation.forms import MilestoneForm, RecordForm, RemovePhotoForm
from pb.implementation.models import ImplementationStatus, MoneyOutcome
from pb.messaging import outbox
from pb.web.helpers import refuse_into
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("works", __name__, url_prefix="/works")

register_nav(NavItem("works.index", _l("Funded projects"), roles=(Role.IMPLEMENTER,), order=45))


@bp.get("/")
@role_required(Role.IMPLEMENTER)
def index():
    records = operations.managed_records(current_user)
    open_forms = {}
    if current_user.role == Role.ADMIN:
        open_forms = {
            e.slug: e for e in editions_service.list_editions() if operations.funded_proposal_ids(e)
        }
    return render_template(
        "works/index.html", records=records, editions=open_forms, open_form=EmptyForm()
    )


@bp.post("/editions/<slug>/open")
@role_required(Role.ADMIN)
def open_edition(slug: str):
    edition = editions_service.get_edition(slug)
    opened = operations.open_records(edition, actor=current_user, now=clock.now())
    flash(_("Tracking started for %(n)d funded projects.", n=len(opened)), "success")
    return redirect(url_for(".index"))


def _render(record, form: RecordForm, milestone_form: MilestoneForm, status: int = 200):
    return (
        render_template(
            "works/record.html", record=record, form=form, milestone_form=milestone_form
        ),
        status,
    )


def _record_form(record) -> RecordForm:
    form = RecordForm()
    if request.method == "GET":
        form.status.data = record.status.value
        form.planned_cost.data = record.planned_cost
        form.spent.data = record.spent
        form.expected_completion.data = record.expected_completion
        form.actual_completion.data = record.actual_completion
        form.not_feasible_reason.data = record.not_feasible_reason
        form.money_outcome.data = record.money_outcome.value if record.money_outcome else ""
    return form


@bp.route("/<int:record_id>", methods=["GET", "POST"])
@role_required(Role.IMPLEMENTER)
def record(record_id: int):
    found = operations.get_record(record_id)
    operations.require_manager(current_user, found)
    form = _record_form(found)
    milestone_form = MilestoneForm(formdata=None)
    if request.method == "GET":
        return _render(found, form, milestone_form)
    if not form.validate():
        return _render(found, form, milestone_form, 422)
    refuse_into(form, lambda status: _render(found, form, milestone_form, status))
    change = operations.ImplementationChange(
        status=ImplementationStatus(form.status.data),
        planned_cost=form.planned_cost.data,
        spent=form.spent.data,
        expected_completion=form.expected_completion.data,
        actual_completion=form.actual_completion.data,
        not_feasible_reason=form.not_feasible_reason.data or "",
        money_outcome=MoneyOutcome(form.money_outcome.data) if form.money_outcome.data else None,
    )
    if operations.update_record(found, change, actor=current_user, now=clock.now()):
        flash(_("Saved. The change is on the project's public page."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for(".record", record_id=found.id))


@bp.post("/<int:record_id>/milestones")
@role_required(Role.IMPLEMENTER)
def add_milestone(record_id: int):
    found = operations.get_record(record_id)
    operations.require_manager(current_user, found)
    form = _record_form(found)
    milestone_form = MilestoneForm()
    if not milestone_form.validate():
        return _render(found, form, milestone_form, 422)
    refuse_into(milestone_form, lambda status: _render(found, form, milestone_form, status))
    now = clock.now()
    new_photos = []
    upload = milestone_form.photo.data
    if upload and getattr(upload, "filename", ""):
        content = photos.read_upload(upload.stream)
        new_photos.append(photos.make_photo(content, milestone_form.alt_text.data or "", now))
        keys = [p.storage_key for p in new_photos]
        # A refused or failed request must not leave the files behind.
        request_files_cleanup(keys)
    elif (milestone_form.alt_text.data or "").strip():
        raise InvalidInput(_("Choose a photo to go with the description."), field="photo")
    operations.add_milestone(
        found,
        happened_on=milestone_form.happened_on.data,
        text=milestone_form.text.data,
        photos=new_photos,
        actor=current_user,
        now=now,
    )
    after_commit(outbox.send_waiting_now)
    flash(_("The milestone is recorded and on the project's public page."), "success")
    return redirect(url_for(".record", record_id=found.id))


def _remove_page(
    photo, form: RemovePhotoForm, *, action: str, back: str, history: bool, status=200
):
    return (
        render_template(
            "implementation/remove_photo.html",
            photo=photo,
            form=form,
            action=action,
            back=back,
            history=history,
        ),
        status,
    )


@bp.route("/<int:record_id>/photos/<int:photo_id>/remove", methods=["GET", "POST"])
@role_required(Role.IMPLEMENTER)
def remove_milestone_photo(record_id: int, photo_id: int):
    """Ask, then remove: the photo's row goes with an audit entry, its files after the commit."""
    found = operations.get_record(record_id)
    operations.require_manager(current_user, found)
    photo = operations.milestone_photo(found, photo_id)
    form = RemovePhotoForm()
    page = functools.partial(
        _remove_page,
        photo,
        form,
        action=url_for(".remove_milestone_photo", record_id=found.id, photo_id=photo.id),
        back=url_for(".record", record_id=found.id),
        history=True,
    )
    if request.method == "GET":
        return page()
    if not form.validate():
        return page(status=422)
    key = operations.remove_milestone_photo(found, photo, actor=current_user, now=clock.now())
    after_commit(lambda: photos.discard_files([key]))
    flash(_("The photo is removed."), "success")
    return redirect(url_for(".record", record_id=found.id))


def request_files_cleanup(keys: list[str]) -> None:
    """Delete the stored files unless the request commits (a refusal rolls the rows back)."""
    from flask import g

    g.setdefault("pb_photo_keys", []).extend(keys)
    after_commit(lambda: g.pop("pb_photo_keys", None))


@bp.teardown_app_request
def _discard_uncommitted_photos(error) -> None:
    from flask import g

    keys = g.pop("pb_photo_keys", None)
    if keys:
        photos.discard_files(keys)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An upload over MAX_CONTENT_LENGTH is cut off before the form is read: the official still
    gets the record page with the message at the photo field."""
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    if request.endpoint != "works.add_milestone" or not current_user.is_authenticated:
        return render_template("errors/generic.html", error=error), 413
    found = operations.get_record((request.view_args or {})["record_id"])
    operations.require_manager(current_user, found)
    form = _record_form(found)
    milestone_form = MilestoneForm(formdata=None)
    limit = min(
        int(current_app.config["PB_MAX_PHOTO_BYTES"]), int(current_app.config["MAX_CONTENT_LENGTH"])
    )
    milestone_form.photo.errors = [photos.too_large(limit)]
    return _render(found, form, milestone_form, 413)


# --- a proposal's photos, added by its author ----------------------------------------------------

proposal_photos_bp = Blueprint("proposal_photos", __name__)


@proposal_photos_bp.post("/my/proposals/<int:proposal_id>/photos")
@login_required
def add_proposal_photo(proposal_id: int):
    from pb.proposals.models import Proposal

    proposal = db.session.get(Proposal, proposal_id) if 0 < proposal_id < 2**31 else None
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    now = clock.now()
    upload = request.files.get("photo")
    stream = upload.stream if upload is not None and upload.filename else io.BytesIO(b"")
    photo = photos.make_photo(photos.read_upload(stream), request.form.get("alt_text", ""), now)
    request_files_cleanup([photo.storage_key])
    operations.add_proposal_photo(current_user, proposal, photo, now)
    flash(_("The photo is added; location and camera data were removed."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id) + "#photos")


def _proposal_page_url(proposal) -> str:
    if current_user.is_authenticated and proposal.author_id == current_user.id:
        return url_for("proposals.detail", proposal_id=proposal.id) + "#photos"
    return (
        url_for("public.proposal", slug=proposal.edition.slug, number=proposal.number) + "#photos"
    )


@proposal_photos_bp.route(
    "/proposals/<int:proposal_id>/photos/<int:photo_id>/remove", methods=["GET", "POST"]
)
@login_required
def remove_proposal_photo(proposal_id: int, photo_id: int):
    """The author (while he may edit) or an official removes a photo of a proposal."""
    from pb.proposals.models import Proposal

    proposal = db.session.get(Proposal, proposal_id) if 0 < proposal_id < 2**31 else None
    if proposal is None:
        raise NotFound(_("There is no such proposal."))
    photo = operations.proposal_photo(proposal, photo_id)
    now = clock.now()
    if not operations.can_remove_proposal_photo(current_user, proposal, now):
        raise Forbidden(
            _(
                "Only the author, while the proposal may be edited, or an official may remove its photos."
            )
        )
    form = RemovePhotoForm()
    back = _proposal_page_url(proposal)
    page = functools.partial(
        _remove_page,
        photo,
        form,
        action=url_for(".remove_proposal_photo", proposal_id=proposal.id, photo_id=photo.id),
        back=back,
        history=False,
    )
    if request.method == "GET":
        return page()
    if not form.validate():
        return page(status=422)
    key = operations.remove_proposal_photo(current_user, proposal, photo, now)
    after_commit(lambda: photos.discard_files([key]))
    flash(_("The photo is removed."), "success")
    return redirect(back)
