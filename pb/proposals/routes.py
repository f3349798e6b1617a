"""Residents' proposals: write, edit, submit, withdraw, attach files, support, appeal, "My proposals"."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from pb.accounts.decorators import confirmed_required
from pb.accounts.forms import EmptyForm
from pb.core import clock
from pb.core.i18n import format_money, localized
from pb.core.timefmt import format_deadline
from pb.core.unit_of_work import after_commit
from pb.core.web_errors import show_refusal_with
from pb.editions import queries as editions_service
from pb.editions.models import Edition, Phase
from pb.proposals import attachments as attachments_service
from pb.proposals import operations as proposals_service
from pb.proposals import queries as proposals_query
from pb.proposals.forms import AppealForm, AttachmentForm, ProposalForm
from pb.proposals.models import PUBLIC_STATUSES, Proposal, ProposalStatus
from pb.review import appeals as appeals_service
from pb.web.helpers import options, refuse_into, status_for
from pb.web.labels import review_template_labels
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("proposals", __name__)

register_nav(NavItem("proposals.mine", _l("My proposals"), signed_in=True, order=20))


@bp.app_template_filter("deadline")
def _deadline_filter(value):
    return format_deadline(value)


@bp.app_context_processor
def _template_helpers():
    helpers = dict(review_template_labels())
    helpers["proposal_extras"] = _public_extras
    return helpers


def _own(proposal_id: int) -> Proposal:
    return proposals_service.get_own_proposal(current_user, proposal_id)


def _set_choices(form: ProposalForm, edition: Edition) -> None:
    currency = edition.currency
    form.category.choices = options(
        [("", _("Choose a group"))]
        + [
            (
                str(c.id),
                _(
                    "%(name)s (%(low)s – %(high)s)",
                    name=localized(c, "name"),
                    low=format_money(c.min_project_cost, currency),
                    high=format_money(c.max_project_cost, currency),
                )
                + (f" · {c.district.name}" if c.district else ""),
            )
            for c in edition.categories
        ]
    )
    form.district.choices = options(
        [("", _("No district"))] + [(str(d.id), d.name) for d in proposals_service.districts()]
    )


def _render_form(form: ProposalForm, edition: Edition, proposal: Proposal | None, status=200):
    form.pad_cost_rows()
    now = clock.now()
    return (
        render_template(
            "proposals/form.html",
            form=form,
            edition=edition,
            proposal=proposal,
            options=proposals_service.author_options(proposal, now) if proposal else None,
            submission_open=edition.window_open(Phase.SUBMISSION, now),
            now=now,
        ),
        status,
    )


# --- "My proposals" ------------------------------------------------------------------------------


@bp.get("/my/proposals")
@login_required
def mine():
    now = clock.now()
    items = proposals_service.my_proposals(current_user)
    counts = proposals_service.support_counts(p.id for p in items)
    by_edition: dict[Edition, list] = {}
    for p in sorted(items, key=_mine_order):
        by_edition.setdefault(p.edition, []).append(
            (p, proposals_service.author_options(p, now, counts[p.id]))
        )
    open_editions = editions_service.editions_open_for(Phase.SUBMISSION, now)
    return render_template(
        "proposals/mine.html", by_edition=by_edition, open_editions=open_editions, now=now
    )


# What asks the author to act comes first, then what waits for others, then what is settled.
_MINE_STATUS_ORDER = {
    ProposalStatus.NEEDS_CHANGES: 0,
    ProposalStatus.DRAFT: 1,
    ProposalStatus.SUBMITTED: 2,
    ProposalStatus.ELIGIBLE: 3,
    ProposalStatus.INELIGIBLE: 4,
    ProposalStatus.WITHDRAWN: 5,
}


def _mine_order(p: Proposal) -> tuple:
    """Newest edition first; within an edition by status, then by number (drafts, unnumbered,
    newest first after the numbered ones)."""
    return (
        -p.edition.submission_starts_at.timestamp(),
        -p.edition_id,
        _MINE_STATUS_ORDER.get(p.status, 9),
        p.number is None,
        p.number or 0,
        -p.created_at.timestamp() if p.created_at else 0,
        -p.id,
    )


# --- writing -------------------------------------------------------------------------------------


@bp.route("/editions/<slug>/propose", methods=["GET", "POST"])
@confirmed_required
def new(slug: str):
    edition = editions_service.get_edition(slug)
    form = ProposalForm()
    _set_choices(form, edition)
    if not form.is_submitted():
        form.creation_key.data = secrets.token_urlsafe(32)
        return _render_form(form, edition, None)
    if form.add_row.data:  # a bigger form, nothing stored
        form.add_cost_row()
        return _render_form(form, edition, None)
    if _all_checks_pass(form, edition, complete=bool(form.send.data)):
        lines = form.cost_lines()
        if lines is not None:
            refuse_into(form, lambda status: _render_form(form, edition, None, status))
            proposal = proposals_service.create_draft(
                current_user,
                edition,
                form.to_input(lines),
                clock.now(),
                creation_key=(form.creation_key.data or "")[:64] or None,
                submit=bool(form.send.data),
            )
            _flash_saved(proposal)
            return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return _render_form(form, edition, None, 422)


def _all_checks_pass(form: ProposalForm, edition: Edition, *, complete: bool) -> bool:
    """Run the form's checks and the service's together, so one answer flags every wrong field."""
    valid = form.validate()
    lines = form.cost_lines()
    if valid and lines is not None:
        return True
    form.add_problems(
        proposals_service.proposal_problems(
            edition, form.to_input(form.filled_lines), complete=complete
        )
    )
    return False


def _flash_saved(proposal: Proposal) -> None:
    if proposal.number is not None and proposal.status.value == "submitted":
        flash(
            _(
                "Your proposal is submitted as No. %(n)d. You can still change it until %(end)s.",
                n=proposal.number,
                end=format_deadline(proposal.edition.submission_ends_at),
            ),
            "success",
        )
    else:
        flash(_("Saved."), "success")


@bp.route("/my/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = _own(proposal_id)
    edition = proposal.edition
    form = ProposalForm()
    _set_choices(form, edition)
    if not form.is_submitted():
        form.fill_from(proposals_service.ProposalInput.from_proposal(proposal))
        return _render_form(form, edition, proposal)
    if form.add_row.data:
        form.add_cost_row()
        return _render_form(form, edition, proposal)
    complete = bool(form.send.data) or proposal.status.value != "draft"
    if _all_checks_pass(form, edition, complete=complete):
        lines = form.cost_lines()
        if lines is not None:
            was_numbered = proposal.number is not None
            refuse_into(form, lambda status: _render_form(form, edition, proposal, status))
            proposals_service.update_proposal(
                current_user,
                proposal,
                form.to_input(lines),
                clock.now(),
                submit=bool(form.send.data),
            )
            if form.send.data and was_numbered:
                flash(_("Your changes are sent back to the reviewers."), "success")
            else:
                _flash_saved(proposal)
            return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return _render_form(form, edition, proposal, 422)


@bp.get("/my/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    return _render_detail(_own(proposal_id))


def _render_detail(proposal: Proposal, status: int = 200, **extra):
    now = clock.now()
    upload = extra.pop("upload_form", None) or AttachmentForm(formdata=None)
    upload.file.description = _(
        "Images (PNG, JPEG, WebP) or PDF documents, at most %(size)d MB each.",
        size=current_app.config["PB_MAX_ATTACHMENT_BYTES"] // (1024 * 1024),
    )
    return (
        render_template(
            "proposals/detail.html",
            proposal=proposal,
            edition=proposal.edition,
            options=proposals_service.author_options(proposal, now),
            attachments=attachments_service.attachments_of(proposal),
            upload_form=upload,
            button_form=EmptyForm(),
            is_public=proposal.status in PUBLIC_STATUSES and proposal.number is not None,
            criteria_by_id={c.id: c for c in proposal.edition.criteria},
            now=now,
            **extra,
        ),
        status,
    )


@bp.post("/my/proposals/<int:proposal_id>/submit")
@confirmed_required
def submit(proposal_id: int):
    proposal = _own(proposal_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    # A refusal names a field of the proposal: show the form with the message there.
    edit_form = ProposalForm(formdata=None)
    _set_choices(edit_form, proposal.edition)
    edit_form.fill_from(proposals_service.ProposalInput.from_proposal(proposal))
    refuse_into(
        edit_form, lambda status: _render_form(edit_form, proposal.edition, proposal, status)
    )
    proposals_service.submit_proposal(current_user, proposal, clock.now())
    _flash_saved(proposal)
    return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)


@bp.route("/my/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    proposal = _own(proposal_id)
    form = EmptyForm()

    def page(status: int = 200, error_message: str | None = None):
        return (
            render_template(
                "proposals/withdraw.html", proposal=proposal, form=form, error_message=error_message
            ),
            status,
        )

    if form.validate_on_submit():
        show_refusal_with(lambda error: page(status_for(error), error.message))
        proposals_service.withdraw_proposal(current_user, proposal, clock.now())
        flash(_("The proposal is withdrawn."), "success")
        return redirect(url_for("proposals.mine"), 303)
    return page()


# --- attachments ---------------------------------------------------------------------------------


@bp.post("/my/proposals/<int:proposal_id>/attachments")
@login_required
def upload(proposal_id: int):
    proposal = _own(proposal_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        storage = form.file.data
        refuse_into(
            form, lambda status: _render_detail(proposal, status, upload_form=form), field="file"
        )
        attachments_service.add_attachment(
            current_user, proposal, storage.stream, storage.filename or "", clock.now()
        )
        flash(_("The file is attached."), "success")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id) + "#attachments", 303)
    return _render_detail(proposal, 422, upload_form=form)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """A request over MAX_CONTENT_LENGTH is cut off before the form is read; on the upload page
    the person still gets the message at the file field."""
    # The body is discarded: every form on the page (the sign-out button too) reads it as empty.
    request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
    if request.endpoint != "proposals.upload" or not current_user.is_authenticated:
        return render_template("errors/generic.html", error=error), 413
    # The upload's address names the proposal, so a matched upload request has its id.
    assert request.view_args is not None
    proposal = _own(request.view_args["proposal_id"])
    form = AttachmentForm(formdata=None)
    form.file.errors = [
        attachments_service.too_large(int(current_app.config["PB_MAX_ATTACHMENT_BYTES"]))
    ]
    return _render_detail(proposal, 413, upload_form=form)


@bp.post("/my/proposals/<int:proposal_id>/attachments/<key>/delete")
@login_required
def delete_attachment(proposal_id: int, key: str):
    proposal = _own(proposal_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    show_refusal_with(
        lambda error: _render_detail(proposal, status_for(error), attachment_error=error.message)
    )
    removed = attachments_service.remove_attachment(current_user, proposal, key, clock.now())
    after_commit(lambda: attachments_service.discard_file(removed))
    flash(_("The attachment is removed."), "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id) + "#attachments", 303)


@bp.get("/attachments/<key>")
def attachment(key: str):
    found = attachments_service.open_for_viewer(key, current_user)
    item = found.attachment
    response = send_file(
        found.path,
        mimetype=item.content_type,
        as_attachment=not found.inline,
        download_name=item.original_name,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Nothing in a served file may run or load anything, whatever a viewer makes of it.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- supports ------------------------------------------------------------------------------------


def _public_extras(proposal: Proposal) -> dict:
    """What the public proposal page adds: supports, the support button, attachments, notes."""
    now = clock.now()
    supports = proposals_service.support_count(proposal)
    edition = proposal.edition
    user = current_user if current_user.is_authenticated else None
    return {
        "supports": supports,
        "required": edition.required_supports,
        "lacks_supports": proposals_service.lacks_supports(proposal, supports, now),
        "collecting": proposals_service.collects_supports(proposal, now),
        "has_supported": proposals_service.has_supported(user, proposal),
        "is_author": user is not None and user.id == proposal.author_id,
        "attachments": attachments_service.attachments_of(proposal),
        "open_review": proposals_service.open_needs_changes_review(proposal),
        "form": EmptyForm(),
        "now": now,
    }


@bp.post("/editions/<slug>/proposals/<int:number>/support")
@login_required
def support(slug: str, number: int):
    return _change_support(
        slug, number, proposals_service.support_proposal, _("Thank you: your support is counted.")
    )


@bp.post("/editions/<slug>/proposals/<int:number>/support/withdraw")
@login_required
def withdraw_support(slug: str, number: int):
    return _change_support(
        slug, number, proposals_service.withdraw_support, _("Your support is withdrawn.")
    )


def _change_support(slug: str, number: int, change, done: str):
    edition = editions_service.get_edition(slug)
    proposal = proposals_query.get_public_proposal(edition, number, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    show_refusal_with(
        lambda error: (
            render_template(
                "public/proposal.html",
                edition=edition,
                proposal=proposal,
                criteria_by_id={c.id: c for c in edition.criteria},
                now=clock.now(),
                support_error=error.message,
            ),
            status_for(error),
        )
    )
    change(current_user, proposal, clock.now())
    flash(done, "success")
    return redirect(url_for("public.proposal", slug=slug, number=number) + "#supports", 303)


# --- appeals (the author's side) -----------------------------------------------------------------


@bp.route("/my/proposals/<int:proposal_id>/appeal", methods=["GET", "POST"])
@login_required
def appeal(proposal_id: int):
    proposal = _own(proposal_id)
    form = AppealForm()

    def page(status: int = 200):
        now = clock.now()
        return (
            render_template(
                "proposals/appeal.html",
                proposal=proposal,
                edition=proposal.edition,
                form=form,
                options=proposals_service.author_options(proposal, now),
                now=now,
            ),
            status,
        )

    if form.validate_on_submit():
        refuse_into(form, page, field="reason")
        appeals_service.file_appeal(current_user, proposal, form.reason.data or "", clock.now())
        flash(_("Your appeal is filed; the commission will decide on it."), "success")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id), 303)
    return page(422 if form.is_submitted() else 200)
