"""Officials' review: the queue of an edition, assignment, and the review of one proposal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.forms import EmptyForm
from pb.accounts.models import Role
from pb.core import clock
from pb.core.i18n import localized
from pb.core.timefmt import from_local
from pb.core.unit_of_work import after_commit
from pb.editions import queries as editions_service
from pb.editions.models import Phase
from pb.messaging import outbox
from pb.proposals import attachments as attachments_service
from pb.proposals import operations as proposals_service
from pb.proposals.models import Proposal
from pb.review import exclusions
from pb.review import operations as review_service
from pb.review.forms import AssignForm, ExclusiveForm, QueueFilterForm, review_form
from pb.web import listing
from pb.web.helpers import options, refuse_into
from pb.web.labels import QUEUE_STATE_LABELS, STATUS_LABELS
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("review", __name__, url_prefix="/review")

QUEUE_SORTS = tuple(
    f"{sign}{key}"
    for key in ("number", "title", "group", "cost", "supports", "state", "assignee")
    for sign in ("", "-")
)

register_nav(NavItem("review.index", _l("Review"), roles=(Role.OFFICIAL,), order=30))


@bp.get("/")
@role_required(Role.OFFICIAL)
def index():
    now = clock.now()
    rows = []
    for edition in editions_service.list_editions():
        queue = review_service.build_queue(edition, review_service.QueueFilter(), current_user, now)
        rows.append((edition, queue))
    return render_template("review/index.html", rows=rows, now=now)


def _assign_choices(form: AssignForm) -> None:
    form.assignee.choices = options(
        [("", _("Nobody"))]
        + [
            (str(u.id), _("%(name)s (you)", name=u.name) if u.id == current_user.id else u.name)
            for u in review_service.reviewers()
        ]
    )


@bp.get("/<slug>")
@role_required(Role.OFFICIAL)
def queue(slug: str):
    edition = editions_service.get_edition(slug)
    now = clock.now()
    form = QueueFilterForm(request.args)
    form.category.choices = options(
        [("", _("All groups"))] + [(str(c.id), localized(c, "name")) for c in edition.categories]
    )
    form.state.choices = options(
        [("", _("Any status"))]
        + [(s.value, str(QUEUE_STATE_LABELS[s.value])) for s in review_service.QueueState]
    )
    form.assignee.choices = options(
        [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))]
        + [(str(u.id), u.name) for u in review_service.reviewers()]
    )
    wanted = review_service.QueueFilter()
    if form.validate():
        category = form.category.data
        state = form.state.data
        wanted = review_service.QueueFilter(
            category_id=int(category) if category and category.isdigit() else None,
            state=review_service.QueueState(state) if state else None,
            assignee=form.assignee.data or "",
        )
    found = review_service.build_queue(edition, wanted, current_user, now)
    sort = listing.chosen(request.args.get("sort"), QUEUE_SORTS, "number")
    rows = listing.sort_rows(
        list(found.items),
        sort,
        {
            "number": lambda i: i.proposal.number or 0,
            "title": lambda i: (i.proposal.title or "").casefold(),
            "group": lambda i: localized(i.proposal.category, "name").casefold(),
            "cost": lambda i: i.proposal.total_cost,
            "supports": lambda i: i.supports,
            "state": lambda i: str(QUEUE_STATE_LABELS[i.state.value]),
            "assignee": lambda i: i.proposal.assignee.name if i.proposal.assignee else "~",
        },
    )
    args = {k: v for k, v in request.args.items() if v and k != "page"}
    return render_template(
        "review/queue.html",
        edition=edition,
        form=form,
        queue=found,
        page=listing.paginate(rows, listing.page_number()),
        sort=sort,
        args=args,
        review_open=edition.window_open(Phase.REVIEW, now),
        button_form=EmptyForm(),
        now=now,
    )


def _exclusive_form(proposal: Proposal, formdata=None) -> ExclusiveForm:
    form = ExclusiveForm(formdata=formdata)
    form.other.choices = options(
        [("", _("Choose a proposal"))]
        + [
            (str(p.number), _("No. %(n)d", n=p.number) + " " + p.title)
            for p in exclusions.candidates(proposal)
        ]
    )
    return form


def _render_review(edition, proposal, form, assign_form, status=200, exclusive_form=None):
    now = clock.now()
    supports = proposals_service.support_count(proposal)
    return (
        render_template(
            "review/proposal.html",
            edition=edition,
            proposal=proposal,
            form=form,
            assign_form=assign_form,
            state=review_service.queue_state(proposal, supports, now),
            supports=supports,
            attachments=attachments_service.attachments_of(proposal),
            criteria_by_id={c.id: c for c in edition.criteria},
            review_open=edition.window_open(Phase.REVIEW, now),
            now=now,
            exclusive_pairs=exclusions.pairs_of(proposal),
            exclusive_form=exclusive_form or _exclusive_form(proposal),
            exclusive_open=exclusions.pairs_open(edition, now),
            button_form=EmptyForm(),
        ),
        status,
    )


def _new_assign_form(proposal: Proposal) -> AssignForm:
    form = AssignForm(formdata=None)
    _assign_choices(form)
    form.assignee.data = str(proposal.assignee_id or "")
    return form


@bp.route("/<slug>/<int:number>", methods=["GET", "POST"])
@role_required(Role.OFFICIAL)
def proposal(slug: str, number: int):
    edition = editions_service.get_edition(slug)
    item = review_service.get_proposal(edition, number)
    form = review_form(edition.criteria)
    assign_form = _new_assign_form(item)
    if not form.is_submitted():
        return _render_review(edition, item, form, assign_form)
    if not form.validate():
        return _render_review(edition, item, form, assign_form, 422)
    refuse_into(form, lambda status: _render_review(edition, item, form, assign_form, status))
    review_service.decide(
        current_user,
        item,
        form.checks(),
        form.chosen_decision(),
        form.justification.data or "",
        clock.now(),
        changes_deadline=from_local(form.changes_deadline.data, edition.timezone),
    )
    after_commit(outbox.send_waiting_now)
    flash(
        _(
            "Decision on No. %(n)d saved and sent to the author: %(status)s.",
            n=item.number,
            status=_status_label(item),
        ),
        "success",
    )
    return redirect(url_for("review.queue", slug=slug), 303)


def _status_label(item: Proposal) -> str:
    return str(STATUS_LABELS[item.status])


@bp.post("/<slug>/<int:number>/assign")
@role_required(Role.OFFICIAL)
def assign(slug: str, number: int):
    edition = editions_service.get_edition(slug)
    item = review_service.get_proposal(edition, number)
    form = AssignForm()
    _assign_choices(form)
    to_me = request.form.get("to_me") == "1"
    if form.validate_on_submit():
        if to_me:
            assignee_id = current_user.id
        else:
            value = form.assignee.data or ""
            assignee_id = int(value) if value.isdigit() else None
        refuse_into(
            form,
            lambda status: _render_review(
                edition, item, review_form(edition.criteria), form, status
            ),
            field="assignee",
        )
        review_service.assign(current_user, item, assignee_id, clock.now())
        who = item.assignee.name if item.assignee else _("nobody")
        flash(_("No. %(n)d is assigned to %(who)s.", n=item.number, who=who), "success")
        target = request.form.get("back") == "queue"
        return redirect(
            url_for("review.queue", slug=slug)
            if target
            else url_for("review.proposal", slug=slug, number=number),
            303,
        )
    review = review_form(edition.criteria)
    return _render_review(edition, item, review, form, 422)


@bp.post("/<slug>/<int:number>/exclusive")
@role_required(Role.OFFICIAL)
def mark_exclusive(slug: str, number: int):
    edition = editions_service.get_edition(slug)
    item = review_service.get_proposal(edition, number)
    form = _exclusive_form(item, request.form)

    def render(status: int):
        assign_form = _new_assign_form(item)
        return _render_review(
            edition, item, review_form(edition.criteria), assign_form, status, form
        )

    if not form.validate():
        return render(422)
    refuse_into(form, render, field="other")
    exclusions.mark_exclusive(current_user, item, form.other_number(), clock.now())
    flash(
        _(
            "No. %(a)d and No. %(b)d are marked as proposals that cannot be carried out together.",
            a=item.number,
            b=form.other_number() or 0,
        ),
        "success",
    )
    return redirect(url_for("review.proposal", slug=slug, number=number) + "#exclusive", 303)


@bp.post("/<slug>/<int:number>/exclusive/<int:pair_id>/delete")
@role_required(Role.OFFICIAL)
def remove_exclusive(slug: str, number: int, pair_id: int):
    edition = editions_service.get_edition(slug)
    item = review_service.get_proposal(edition, number)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _render_review(
            edition, item, review_form(edition.criteria), _new_assign_form(item), 422
        )
    exclusions.remove_exclusive(current_user, item, pair_id, clock.now())
    flash(_("The pair is removed."), "success")
    return redirect(url_for("review.proposal", slug=slug, number=number) + "#exclusive", 303)
