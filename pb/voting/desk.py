"""The steps a person goes through to vote, written once for both desks.

Online (blueprint `vote`) a resident verifies themselves and fills in their ballot; at a polling
place (blueprint `paper`) an official verifies the person in front of them and enters their paper
ballot. The policy, the checks and the one-ballot rule are the same, so are the steps: verify,
confirm a one-time code, fill in the ballot, confirm it. A `Desk` holds what differs: whom the
pages speak to, its endpoints and templates, the session keys and the channel refusals count in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from pb.core import clock
from pb.core.errors import PBError, PhaseClosed
from pb.core.extensions import db, limiter
from pb.core.unit_of_work import kept_despite_refusal
from pb.core.web_errors import show_refusal_with
from pb.editions.districts import District
from pb.editions.models import Edition, EligibilityPolicy
from pb.voting import ballot_view, bindings, eligibility, sealing
from pb.voting import casting as voting
from pb.voting.bindings import OtherAccount, OtherPerson
from pb.voting.casting import BallotRefused
from pb.voting.eligibility import AlreadyVoted, PendingContact, VerificationRefused, VerifiedVoter
from pb.voting.forms import CodeForm
from pb.voting.models import Channel

# --- rate limits ---------------------------------------------------------------------------------


def _account_key() -> str:
    if current_user.is_authenticated:
        return f"account:{current_user.get_id()}"
    return f"address:{get_remote_address()}"


def _limit_message() -> str:
    return _(
        "Too many verification attempts. To protect the vote we pause verification for a while: "
        "please try again in an hour, or vote in person at a polling place."
    )


def verification_limited(account_limit: str, address_limit: str, scope: str):
    """Both limits on a view: per account (or address when signed out) and per address."""

    def decorate(view):
        view = limiter.shared_limit(
            lambda: current_app.config.get(f"PB_{scope.upper()}_LIMIT_ACCOUNT", account_limit),
            scope=f"{scope}-account",
            key_func=_account_key,
            methods=["POST"],
            error_message=_limit_message,
        )(view)
        view = limiter.shared_limit(
            lambda: current_app.config.get(f"PB_{scope.upper()}_LIMIT_ADDRESS", address_limit),
            scope=f"{scope}-address",
            methods=["POST"],
            error_message=_limit_message,
        )(view)
        return view

    return decorate


def too_many_attempts(error):
    return render_template("vote/too_many.html", message=error.description), 429


# --- what both desks answer alike ------------------------------------------------------------------


def closed(definition, error: PBError):
    return render_template("vote/closed.html", definition=definition, message=error.message), 409


def _closed_page(definition, error: PBError) -> ResponseReturnValue | None:
    return closed(definition, error) if isinstance(error, PhaseClosed) else None


def open_ballot(slug: str, now: datetime) -> voting.BallotDefinition:
    """The edition's ballot while it may be cast; else the answer is the closed page."""
    definition = voting.ballot_definition(slug, now)
    show_refusal_with(functools.partial(_closed_page, definition))
    voting.require_open(definition, now)
    return definition


def open_edition(slug: str, now: datetime) -> tuple[voting.BallotDefinition, Edition]:
    """The edition's ballot and the edition while its voting phase is open; else the answer is
    the closed page."""
    definition = voting.ballot_definition(slug, now)
    show_refusal_with(functools.partial(_closed_page, definition))
    return definition, eligibility.voting_edition(slug, now)


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in_user_id() -> int:
    return current_user.id


def district_choices() -> list[tuple[str, str]]:
    districts = db.session.execute(select(District.id, District.name).order_by(District.name))
    return [("", _("Another part of the city"))] + [(str(i), name) for i, name in districts]


# The refusals after which a person cannot vote at this desk at all: the reason is shown on a page
# of its own, not at a field of the form.
TURNED_AWAY = (OtherPerson, OtherAccount, AlreadyVoted)


# --- the desk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """One per blueprint: what differs between the online vote and the paper desk."""

    blueprint: str
    channel: Channel
    session_voter: str
    session_code: str
    verify_forms: Mapping[str, type[FlaskForm]]
    verify_page: Callable[..., ResponseReturnValue]  # (definition, form, status) -> the page
    already_voted_template: str
    cancel_view: str
    confirm_form: type[FlaskForm] | None
    # What the desk says: online to the voter, on paper to the official.
    verified_message: LazyString
    code_sent_message: LazyString  # with %(to)s, where the code went
    code_expired_message: LazyString
    verify_first_message: LazyString

    @property
    def paper(self) -> bool:
        return self.channel == Channel.PAPER

    @property
    def random_order(self) -> bool:
        # Online each voter gets their own order of the proposals (the same on every page); a
        # paper ballot is entered in its printed order, so the official finds each mark where it is.
        return not self.paper

    # The verification state travels in Flask's session cookie, which is signed but readable:
    # it is sealed (SecretBox under a key derived from SECRET_KEY) so that the cookie shows
    # nothing of the voter (key, district, birth year) to whoever sees it.
    def seal(self, data: dict) -> str:
        return sealing.seal_for_browser(
            current_app.config["SECRET_KEY"],
            f"pb-{self.blueprint}-v",
            data,
            int(eligibility.session_lifetime().total_seconds()) + 60,
        )

    def unseal(self, token: object) -> dict | None:
        return sealing.open_from_browser(
            current_app.config["SECRET_KEY"], f"pb-{self.blueprint}-v", token
        )

    def url(self, view: str, slug: str) -> str:
        return url_for(f"{self.blueprint}.{view}", slug=slug)

    def current_voter(self, definition, account_id: int | None = None) -> VerifiedVoter | None:
        return VerifiedVoter.from_session(
            self.unseal(session.get(self.session_voter)),
            edition_id=definition.edition_id,
            user_id=account_id if account_id is not None else signed_in_user_id(),
            now=clock.now(),
        )

    def pending_contact(self, definition, now: datetime) -> PendingContact | None:
        return PendingContact.from_session(
            self.unseal(session.get(self.session_code)),
            edition_id=definition.edition_id,
            user_id=signed_in_user_id(),
            now=now,
        )

    def forget(self) -> None:
        session.pop(self.session_voter, None)
        session.pop(self.session_code, None)

    def refuse(self, edition_id: int, reason: str, *, wrong_code_id: int | None = None) -> None:
        """After a refusal: drop whatever the request wrote, count the refusal (and a wrong
        one-time code against its code), keep only that."""
        # A refused verification answers 4xx, which the request's boundary rolls back, yet the
        # refusal counts (and the attempts a code has left, against guessing it) must outlive it.
        with kept_despite_refusal():
            eligibility.record_refusal(edition_id, self.channel, reason, clock.now())
            if wrong_code_id is not None:
                eligibility.count_wrong_code(wrong_code_id)

    def already_voted(self, definition, error: AlreadyVoted):
        return render_template(
            self.already_voted_template, definition=definition, message=error.message
        ), 409

    def turn_away(self, definition, error: PBError) -> ResponseReturnValue | None:
        """This person cannot vote here, having voted or being bound to another account: the
        refusal counted, the reason shown. None for any other refusal."""
        if not isinstance(error, TURNED_AWAY):
            return None
        self.refuse(definition.edition_id, error.reason)
        if isinstance(error, AlreadyVoted):
            return self.already_voted(definition, error)
        return self.account_bound(definition, error)

    def admit(self, slug: str, voter: VerifiedVoter, now: datetime) -> ResponseReturnValue:
        """The person is verified: the verification, sealed, goes in the session; on to the ballot."""
        session[self.session_voter] = self.seal(
            voter.to_session(user_id=signed_in_user_id(), now=now)
        )
        flash(str(self.verified_message), "success")
        return redirect(self.url("ballot", slug))

    def ask_to_verify_first(self, slug: str):
        flash(str(self.verify_first_message), "info")
        return redirect(self.url("start", slug))

    def verified_voter(
        self, definition: voting.BallotDefinition, account_id: int | None = None
    ) -> VerifiedVoter:
        """The person verified at this desk for this ballot; anybody else is sent to verify first."""
        voter = self.current_voter(definition, account_id)
        if voter is None:
            abort(self.ask_to_verify_first(definition.slug))
        return voter

    def verify_form(self, definition):
        form = self.verify_forms[definition.policy.value]()
        if hasattr(form, "district"):
            form.district.choices = district_choices()
        return form

    def verify_person(self, definition, edition: Edition, form, now: datetime):
        """Check a submitted verify form under the edition's policy; on to the ballot, or to the
        one-time code under the contact policy."""
        code_first = definition.policy == EligibilityPolicy.CONTACT or (
            definition.policy == EligibilityPolicy.DECLARATION and not self.paper
        )
        show_refusal_with(functools.partial(self._verify_refused, definition, form))
        if definition.policy == EligibilityPolicy.DECLARATION and not self.paper:
            pending = eligibility.start_declaration(
                edition,
                id_number=form.id_number.data,
                district_id=form.district.data,
                declared=bool(form.declaration.data),
                contact=form.contact.data,
                now=now,
            )
            self.check_binding(edition.id, pending.voter_key, now, write=False)
        elif definition.policy == EligibilityPolicy.CONTACT:
            pending = eligibility.start_contact(
                edition,
                contact=form.contact.data,
                district_id=form.district.data,
                birth_date=form.birth_date.data,
                declared=form.declaration.data,
                now=now,
            )
        else:
            voter = eligibility.verify(
                edition,
                id_number=form.id_number.data,
                factor=form.factor.data if hasattr(form, "factor") else None,
                district_id=form.district.data if hasattr(form, "district") else None,
                declared=bool(form.declaration.data) if hasattr(form, "declaration") else False,
                in_person=self.paper,
                now=now,
            )
            self.check_binding(edition.id, voter.voter_key, now)
        slug = definition.slug
        # The account's binding to this person is committed by the request's boundary.
        if code_first:
            session[self.session_code] = self.seal(
                pending.to_session(user_id=signed_in_user_id(), now=now)
            )
            flash(self.code_sent_message % {"to": pending.masked}, "info")
            return redirect(self.url("code", slug))
        return self.admit(slug, voter, now)

    def _verify_refused(self, definition, form, error: PBError) -> ResponseReturnValue | None:
        """A refused verification: counted, and the form again with the reason at its field."""
        if not isinstance(error, VerificationRefused):
            return self.turn_away(definition, error)
        self.refuse(definition.edition_id, error.reason)
        fallback = (
            form.contact if definition.policy == EligibilityPolicy.CONTACT else form.id_number
        )
        target = getattr(form, error.field or "", None) or fallback
        target.errors = [*target.errors, error.message]
        return self.verify_page(definition, form, 422)

    def check_binding(self, edition_id: int, voter_key: str, now: datetime, write=True) -> None:
        """Online, one account is one person per edition (pb/voting/bindings.py); an official at
        the paper desk verifies many people with one account and binds nobody."""
        if self.paper:
            return
        bindings.bind(edition_id, signed_in_user_id(), voter_key, now, write=write)

    def account_bound(self, definition, error: OtherPerson | OtherAccount):
        return render_template(
            "vote/account_bound.html", definition=definition, message=error.message
        ), 409

    def code_step(self, slug: str):
        """The one-time code sent under the contact policy: GET asks for it, POST checks it."""
        now = clock.now()
        definition, edition = open_edition(slug, now)
        pending = self.pending_contact(definition, now)
        if pending is None:
            flash(str(self.code_expired_message), "warning")
            return redirect(self.url("start", slug))
        form = CodeForm()
        if form.validate_on_submit():
            entered = form.code.data
            assert entered is not None  # required by the form, which validated
            show_refusal_with(functools.partial(self._code_refused, definition, form, pending))
            voter = eligibility.confirm_contact(edition, pending, entered, now)
            eligibility.ensure_not_voted(edition.id, voter.voter_key)
            self.check_binding(edition.id, voter.voter_key, now)
            session.pop(self.session_code, None)
            return self.admit(slug, voter, now)
        return self._code_page(definition, form, pending, 422 if form.errors else 200)

    def _code_page(self, definition, form, pending: PendingContact, status: int):
        return render_template(
            "vote/code.html", definition=definition, form=form, pending=pending, paper=self.paper
        ), status

    def _code_refused(
        self, definition, form, pending: PendingContact, error: PBError
    ) -> ResponseReturnValue | None:
        """A refused code: counted (a wrong one also against its code), and the code asked for
        again; a person who cannot vote here is turned away, their pending code forgotten."""
        if not isinstance(error, VerificationRefused):
            if isinstance(error, TURNED_AWAY):
                session.pop(self.session_code, None)
            return self.turn_away(definition, error)
        wrong = pending.code_id if error.reason == "code_wrong" else None
        self.refuse(definition.edition_id, error.reason, wrong_code_id=wrong)
        form.code.errors = [*form.code.errors, error.message]
        return self._code_page(definition, form, pending, 422)

    def ballot_step(self, slug: str):
        """GET: the empty ballot. POST: check the marks; with problems the ballot again, else the
        confirmation step. POST with `edit`: back from the confirmation step to change the marks."""
        definition = open_ballot(slug, clock.now())
        voter = self.verified_voter(definition)
        if request.method == "GET":
            return self.render_ballot(definition, voter, {})
        marks = ballot_view.read_marks(request.form)
        if "edit" in request.form:
            return self.render_ballot(definition, voter, marks)
        problems = voting.check_marks(definition, voter.district_id, marks)
        if problems:
            return self.render_ballot(definition, voter, marks, problems, status=422)
        response = make_response(
            render_template(
                "vote/confirm.html",
                definition=definition,
                voter=voter,
                summary=ballot_view.summary(definition, voter.district_id, marks),
                hidden=ballot_view.hidden_marks(marks),
                form=self.confirm_form() if self.confirm_form else None,
                action=self.url("cast", slug),
                back=self.url("ballot", slug),
                paper=self.paper,
            )
        )
        return no_store(response)

    def render_ballot(self, definition, voter, marks, problems=None, status=200):
        state = self.unseal(session.get(self.session_voter)) or {}
        seed = state.get("s") if self.random_order else None
        views = ballot_view.group_views(definition, voter.district_id, problems, seed=seed)
        response = make_response(
            render_template(
                "vote/ballot.html",
                definition=definition,
                voter=voter,
                views=views,
                marks=marks,
                general_problems=(problems or {}).get(None, []),
                action=self.url("ballot", definition.slug),
                cancel=self.url(self.cancel_view, definition.slug),
                paper=self.paper,
            ),
            status,
        )
        return no_store(response)

    def cast_refused(
        self, definition, voter, marks, error: BallotRefused | AlreadyVoted | PhaseClosed
    ):
        """The answer when casting is refused: the ballot again with its problems, or, when this
        person can no longer vote here, the reason, their verification forgotten."""
        if isinstance(error, BallotRefused):
            self.refuse(definition.edition_id, error.reason)
            return self.render_ballot(definition, voter, marks, error.problems, status=422)
        if isinstance(error, AlreadyVoted):
            self.refuse(definition.edition_id, error.reason)
            session.pop(self.session_voter, None)
            return self.already_voted(definition, error)
        self.refuse(definition.edition_id, "phase_closed")
        session.pop(self.session_voter, None)
        return closed(definition, error)
