"""The commission's side of appeals: the list, and the decision on one appeal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.unit_of_work import after_commit
from pb.messaging import outbox
from pb.proposals import attachments as attachments_service
from pb.review import appeals as appeals_service
from pb.review.appeal_forms import AppealDecisionForm
from pb.web.helpers import refuse_into
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("commission", __name__, url_prefix="/commission")

register_nav(NavItem("commission.appeals", _l("Appeals"), roles=(Role.COMMISSION,), order=40))


@bp.get("/appeals")
@role_required(Role.COMMISSION)
def appeals():
    now = clock.now()
    return render_template(
        "commission/appeals.html",
        pending=appeals_service.list_appeals(pending=True),
        decided=appeals_service.list_appeals(pending=False),
        now=now,
    )


def _render(appeal, form, status=200):
    now = clock.now()
    proposal = appeal.proposal
    return (
        render_template(
            "commission/appeal.html",
            appeal=appeal,
            proposal=proposal,
            edition=proposal.edition,
            form=form,
            attachments=attachments_service.attachments_of(proposal),
            criteria_by_id={c.id: c for c in proposal.edition.criteria},
            window_open=appeals_service.decision_window_open(proposal, now),
            now=now,
        ),
        status,
    )


@bp.route("/appeals/<int:appeal_id>", methods=["GET", "POST"])
@role_required(Role.COMMISSION)
def appeal(appeal_id: int):
    found = appeals_service.get_appeal(appeal_id)
    form = AppealDecisionForm()
    if not form.is_submitted():
        return _render(found, form)
    if not form.validate():
        return _render(found, form, 422)
    refuse_into(form, lambda status: _render(found, form, status))
    appeals_service.decide_appeal(
        current_user, found, form.chosen_decision(), form.justification.data or "", clock.now()
    )
    after_commit(outbox.send_waiting_now)
    flash(
        _("The appeal on No. %(n)d is decided; the author is told.", n=found.proposal.number),
        "success",
    )
    return redirect(url_for("commission.appeals"), 303)
