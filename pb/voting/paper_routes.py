"""Paper voting at two desks, as at a polling station.

- Check-in: an official verifies the person in front of them (the same policy, checks and
  one-ballot rule as online) and records their participation; the person gets a blank sheet.
  The verified person lives in the official's session, sealed, only until checked in.
- Ballot entry: after the polls close, or from a sealed box in batches, officials enter the
  sheets with no identity at all; each sheet is sealed like an online ballot. No more sheets
  than paper check-ins can be entered.

The audit log records who checked in whom and how many sheets an official entered in a batch,
never which sheet.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import PBError, PhaseClosed
from pb.core.web_errors import show_refusal_with
from pb.editions import queries as editions_service
from pb.editions.models import Phase
from pb.voting import ballot_box as boxes
from pb.voting import ballot_view
from pb.voting import casting as voting
from pb.voting.casting import BallotRefused
from pb.voting.desk import (
    Desk,
    no_store,
    open_edition,
    too_many_attempts,
    verification_limited,
)
from pb.voting.eligibility import AlreadyVoted
from pb.voting.forms import PAPER_FORMS
from pb.voting.models import Channel
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("paper", __name__, url_prefix="/paper")
bp.register_error_handler(429, too_many_attempts)

register_nav(NavItem("paper.index", _l("Paper ballots"), roles=(Role.OFFICIAL,), order=60))

SESSION_VOTER = "pb_paper_voter"
SESSION_CODE = "pb_paper_code"
SESSION_PLACE = "pb_polling_place"

official_only = role_required(Role.OFFICIAL)


def _verify_page(definition, form, status=200):
    return render_template(
        "paper/verify.html",
        definition=definition,
        form=form,
        action=url_for("paper.start", slug=definition.slug),
    ), status


DESK = Desk(
    blueprint="paper",
    channel=Channel.PAPER,
    session_voter=SESSION_VOTER,
    session_code=SESSION_CODE,
    verify_forms=PAPER_FORMS,
    verify_page=_verify_page,
    already_voted_template="paper/already_voted.html",
    cancel_view="cancel",
    confirm_form=None,
    verified_message=_l("The person may vote. Check them in."),
    code_sent_message=_l("A one-time code was sent to %(to)s."),
    code_expired_message=_l("The code has expired. Verify the person again."),
    verify_first_message=_l("Verify the person first."),
)


def _form(definition):
    form = DESK.verify_form(definition)
    if request.method == "GET" and session.get(SESSION_PLACE):
        form.polling_place.data = session[SESSION_PLACE]
    return form


@bp.get("/")
@official_only
def index():
    open_now = editions_service.editions_open_for(Phase.VOTING, clock.now())
    sealed = [
        e
        for e in editions_service.list_editions()
        if (box := boxes.ballot_box(e.id)) is not None and box.opened_at is None
    ]
    return render_template("paper/index.html", open_now=open_now, sealed=sealed)


@bp.route("/<slug>/", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def start(slug: str):
    """Verify the person standing at the desk, under the edition's policy."""
    now = clock.now()
    definition, edition = open_edition(slug, now)
    form = _form(definition)
    if request.method == "GET":
        return _verify_page(definition, form)
    if not form.validate_on_submit():
        return _verify_page(definition, form, 422)
    session[SESSION_PLACE] = form.polling_place.data.strip()
    return DESK.verify_person(definition, edition, form, now)


@bp.route("/<slug>/code", methods=["GET", "POST"])
@official_only
@verification_limited("300 per hour", "600 per hour", "paper")
def code(slug: str):
    return DESK.code_step(slug)


@bp.get("/<slug>/ballot")
@official_only
def ballot(slug: str):
    """The verified person, before check-in: what the official confirms."""
    definition = voting.ballot_definition(slug)
    voter = DESK.verified_voter(definition)
    groups = definition.groups_for(voter.district_id)
    return render_template(
        "paper/check_in.html",
        definition=definition,
        groups=groups,
        place=session.get(SESSION_PLACE, ""),
    )


@bp.post("/<slug>/cast")
@official_only
def cast(slug: str):
    """Check the verified person in: their participation is recorded; they get a sheet."""
    now = clock.now()
    definition = voting.ballot_definition(slug, now)
    voter = DESK.verified_voter(definition)

    def refused(error: PBError):
        if isinstance(error, (AlreadyVoted, PhaseClosed)):
            return DESK.cast_refused(definition, voter, {}, error)
        # a polling place lost from the session, a role taken away
        flash(error.message, "error")
        return redirect(url_for("paper.start", slug=slug))

    show_refusal_with(refused, not_found=True)
    voting.check_in(
        definition,
        voter,
        official=current_user._get_current_object(),
        polling_place=session.get(SESSION_PLACE, ""),
        now=now,
    )
    session.pop(SESSION_VOTER, None)
    sheet = _sheet_name(definition, voter.district_id)
    flash(
        _(
            "Checked in. Hand the person a ballot sheet: %(sheet)s. The next person, please.",
            sheet=sheet,
        ),
        "success",
    )
    return redirect(url_for("paper.start", slug=slug))


@bp.post("/<slug>/cancel")
@official_only
def cancel(slug: str):
    DESK.forget()
    flash(_("Cancelled: nothing was recorded for this person."), "info")
    return redirect(url_for("paper.start", slug=slug))


# --- the ballot-entry desk --------------------------------------------------------------------


SESSION_BATCH = "pb_sheet_batch"


def _sheet_districts(definition) -> list[tuple[int | None, str]]:
    """The kinds of sheet: the city-wide one, and one per district that has a group of its own."""
    kinds: list[tuple[int | None, str]] = [(None, _("City-wide sheet"))]
    for g in definition.groups:
        if g.district_id is not None and all(k != g.district_id for k, _n in kinds):
            kinds.append((g.district_id, _("Sheet for %(district)s", district=g.district_name)))
    return kinds


def _sheet_name(definition, district_id) -> str:
    for key, name in _sheet_districts(definition):
        if key == district_id:
            return name
    return _("City-wide sheet")


def _sheet_kind(definition) -> int | None:
    raw = request.values.get("sheet", "")
    kinds = {str(k): k for k, _n in _sheet_districts(definition) if k is not None}
    return kinds.get(raw)


def _sheets_page(definition, district_id, marks=None, problems=None, status=200):
    views = ballot_view.group_views(definition, district_id, problems)
    batch = session.get(SESSION_BATCH) or {}
    return no_store(
        make_response(
            render_template(
                "paper/sheets.html",
                definition=definition,
                kinds=_sheet_districts(definition),
                district_id=district_id,
                views=views,
                marks=marks or {},
                general_problems=(problems or {}).get(None, []),
                batch=batch.get(definition.slug, 0),
                left=boxes.paper_sheets_allowed(definition.edition_id),
                place=session.get(SESSION_PLACE, ""),
            ),
            status,
        )
    )


@bp.route("/<slug>/sheets", methods=["GET", "POST"])
@official_only
def sheets(slug: str):
    """Enter one sheet from the box: its kind (which district's groups it has) and its marks."""
    definition = voting.ballot_definition(slug)
    district_id = _sheet_kind(definition)
    if request.method == "GET":
        return _sheets_page(definition, district_id)
    place = (request.form.get("polling_place") or session.get(SESSION_PLACE) or "").strip()
    marks = ballot_view.read_marks(request.form)
    if not place:
        flash(_("Name the polling place."), "error")
        return _sheets_page(definition, district_id, marks, status=422)
    session[SESSION_PLACE] = place[:120]

    def refused(error: PBError):
        if isinstance(error, BallotRefused):
            return _sheets_page(definition, district_id, marks, error.problems, status=422)
        flash(error.message, "error")
        return _sheets_page(definition, district_id, marks, status=error.http_status)

    show_refusal_with(refused, not_found=True)
    voting.enter_sheet(
        definition,
        district_id,
        marks,
        official=current_user._get_current_object(),
        now=clock.now(),
    )
    batch = dict(session.get(SESSION_BATCH) or {})
    batch[slug] = int(batch.get(slug, 0)) + 1
    session[SESSION_BATCH] = batch
    flash(_("The sheet is in the sealed box. The next sheet, please."), "success")
    return redirect(url_for("paper.sheets", slug=slug, sheet=district_id or ""))


@bp.post("/<slug>/sheets/close")
@official_only
def close_batch(slug: str):
    """End a batch: the audit log gets who entered how many sheets (never which)."""
    definition = voting.ballot_definition(slug)
    batch = dict(session.get(SESSION_BATCH) or {})
    count = int(batch.pop(slug, 0))

    def refused(error: PBError):
        flash(error.message, "error")
        return redirect(url_for("paper.sheets", slug=slug))

    show_refusal_with(refused, not_found=True)
    voting.record_sheet_batch(
        definition,
        official=current_user._get_current_object(),
        polling_place=session.get(SESSION_PLACE, "") or "?",
        sheets=count,
        now=clock.now(),
    )
    session[SESSION_BATCH] = batch
    flash(
        ngettext(
            "Batch closed: %(num)d sheet entered.", "Batch closed: %(num)d sheets entered.", count
        ),
        "success",
    )
    return redirect(url_for("paper.index"))
