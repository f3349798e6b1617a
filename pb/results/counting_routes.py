"""The commission's counting desk: count, read the anomaly report, approve (four eyes), publish.

Every step is one service call; the services check the role, the phase and the four-eyes rule
again and write the audit log.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import PBError
from pb.core.timefmt import format_deadline, from_local
from pb.core.web_errors import show_refusal_with
from pb.editions import operations as edition_admin
from pb.editions import queries as editions_service
from pb.editions.models import Edition
from pb.results import anomalies as anomalies_service
from pb.results import counting as results_service
from pb.results import presenters
from pb.results.counting_forms import (
    ApproveForm,
    CorrectionForm,
    CountForm,
    ExtendForm,
    PublishForm,
)
from pb.results.models import ResultStatus
from pb.web.helpers import refuse_into
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("counting", __name__, url_prefix="/commission/counting")

register_nav(
    NavItem("counting.index", _l("Counting and results"), roles=(Role.COMMISSION,), order=45)
)


def _edition(slug: str) -> Edition:
    return editions_service.get_edition(slug)


def _back_to_desk(found: Edition, done: str, code: int = 302) -> Response:
    """After a step: say it is done, back on the edition's counting page."""
    flash(done, "success")
    return redirect(url_for("counting.edition", slug=found.slug), code)


def _refusal_on_the_page(found: Edition, **forms) -> None:
    """A refused step is shown on the edition's counting page, its message on top."""

    def view(error: PBError):
        flash(error.message, "error")
        return _render_edition(found, status=error.http_status, **forms)

    show_refusal_with(view)


@bp.get("/")
@role_required(Role.COMMISSION)
def index():
    now = clock.now()
    rows = []
    for edition in editions_service.list_editions():
        rows.append(
            (
                edition,
                results_service.pending_result(edition),
                results_service.published_result(edition),
            )
        )
    return render_template("counting/index.html", rows=rows, now=now)


def _render_edition(
    edition: Edition,
    *,
    count_form=None,
    correction_form=None,
    approve_form=None,
    publish_form=None,
    extend_form=None,
    status=200,
):
    now = clock.now()
    pending = results_service.pending_result(edition)
    in_force = results_service.published_result(edition)
    versions = results_service.versions(edition)
    approvals = {v.id: results_service.valid_approvals(v) for v in versions}
    people = results_service.people(
        [a.approver_id for items in approvals.values() for a in items]
        + [v.counted_by_id for v in versions]
    )
    shown = pending or in_force
    return (
        render_template(
            "counting/edition.html",
            edition=edition,
            now=now,
            voting_over=now >= edition.voting_ends_at,
            pending=pending,
            in_force=in_force,
            shown=shown,
            snapshot=results_service.snapshot_of(shown) if shown else None,
            versions=versions,
            approvals=approvals,
            people=people,
            needed=results_service.APPROVALS_NEEDED,
            count_form=count_form or CountForm(),
            correction_form=correction_form or CorrectionForm(),
            approve_form=approve_form or ApproveForm(),
            publish_form=publish_form or PublishForm(formdata=None),
            extend_form=extend_form or ExtendForm(formdata=None),
            voting_open=edition.accepts_ballots(now),
            participations=results_service.participation_count(edition)
            if now >= edition.voting_ends_at
            else None,
            p=presenters,
        ),
        status,
    )


@bp.get("/<slug>")
@role_required(Role.COMMISSION)
def edition(slug: str):
    return _render_edition(_edition(slug))


@bp.post("/<slug>/count")
@role_required(Role.COMMISSION)
def count(slug: str):
    found = _edition(slug)
    form = CountForm()
    if not form.validate_on_submit():
        return _render_edition(found, count_form=form, status=422)
    _refusal_on_the_page(found, count_form=form)
    result = results_service.count_results(found, actor=current_user, now=clock.now())
    return _back_to_desk(
        found,
        _(
            "Counted: version %(n)d. Check it and the anomaly report; two members must approve it.",
            n=result.version,
        ),
    )


@bp.post("/<slug>/correct")
@role_required(Role.COMMISSION)
def correct(slug: str):
    found = _edition(slug)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_edition(found, correction_form=form, status=422)
    refuse_into(form, lambda status: _render_edition(found, correction_form=form, status=status))
    result = results_service.count_results(
        found, actor=current_user, now=clock.now(), reason=form.reason.data
    )
    return _back_to_desk(
        found,
        _(
            "Counted again as version %(n)d, a correction. The published version stays in force "
            "until two members approve this one and it is published.",
            n=result.version,
        ),
    )


@bp.post("/<slug>/versions/<int:version>/approve")
@role_required(Role.COMMISSION)
def approve(slug: str, version: int):
    found = _edition(slug)
    result = results_service.get_version(found, version)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("The approval did not name the count it approves. Reload the page."), "error")
        return _render_edition(found, approve_form=form, status=422)
    _refusal_on_the_page(found, approve_form=form)
    seen = form.snapshot_sha256.data
    assert seen is not None  # DataRequired
    results_service.approve_result(
        result, actor=current_user, snapshot_sha256=seen, now=clock.now()
    )
    return _back_to_desk(found, _("Your approval of version %(n)d is recorded.", n=result.version))


@bp.post("/<slug>/versions/<int:version>/publish")
@role_required(Role.COMMISSION)
def publish(slug: str, version: int):
    found = _edition(slug)
    result = results_service.get_version(found, version)
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_edition(found, status=422)
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm the publication.")]
        return _render_edition(found, status=422, publish_form=form)
    _refusal_on_the_page(found)
    results_service.publish_result(result, actor=current_user, now=clock.now())
    return _back_to_desk(found, _("Version %(n)d of the results is published.", n=result.version))


@bp.post("/<slug>/extend")
@role_required(Role.COMMISSION)
def extend(slug: str):
    """Extend voting by a commission decision with a public reason; it never shortens it."""
    found = editions_service.get_edition(slug)
    form = ExtendForm()
    if not form.validate_on_submit():
        return _render_edition(found, extend_form=form, status=422)
    refuse_into(form, lambda status: _render_edition(found, extend_form=form, status=status))
    new_end = from_local(form.voting_ends_at.data, found.timezone)
    edition_admin.extend_voting(
        current_user,
        found,
        new_end,
        form.reason.data or "",
        clock.now(),
    )
    return _back_to_desk(
        found,
        _("Voting is extended until %(end)s.", end=format_deadline(found.voting_ends_at)),
        303,
    )


@bp.get("/<slug>/anomalies")
@role_required(Role.COMMISSION)
def anomalies(slug: str):
    found = _edition(slug)
    now = clock.now()
    report = anomalies_service.anomaly_report(found) if now >= found.voting_ends_at else None
    return render_template(
        "counting/anomalies.html",
        edition=found,
        report=report,
        now=now,
        burst_minimum=anomalies_service.BURST_MIN,
        burst_minutes=anomalies_service.BURST_WINDOW.seconds // 60,
        p=presenters,
        ResultStatus=ResultStatus,
    )
