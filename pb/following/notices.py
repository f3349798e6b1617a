"""What followers are told, and when.

The events are read from the audit log as its entries are written: a review decision, an appeal's
decision, a result's publication, an implementation milestone. The domains that act do not know
about followers (they sit beneath this one); a listener on the session sees each new audit entry
(and each new appeal, which residents file unaudited) and queues one message per follower in the
same transaction, so a refused action tells nobody anything. The same event never mails one
follower twice (`FollowNotice`). Putting a proposal to the vote and the reminder before voting
ends follow the clock, not an action: `flask pb following send` sends them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions.models import Edition, Phase
from pb.following.models import Follow, FollowNotice, VotingReminder
from pb.messaging.models import OutboxMessage
from pb.proposals.models import Appeal, Proposal, ProposalStatus
from pb.results.models import Result

SALT = "pb.following.unsubscribe"


def unsubscribe_token(follow_id: int, kind: str = "f") -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT).dumps([kind, follow_id])


def read_token(token: str) -> tuple[str, int] | None:
    try:
        kind, ident = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if kind not in ("f", "r") or not isinstance(ident, int):
        return None
    return kind, ident


def _link(endpoint: str, **values) -> str:
    """An absolute address: from the request when there is one, else from PB_PUBLIC_URL (a CLI
    job), so that every message carries its unsubscribe link."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config["PB_PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def _proposal_link(proposal: Proposal) -> str:
    from pb.implementation.models import Implementation  # the funded project's page, if any

    tracked = db.session.scalar(
        select(Implementation.id).where(Implementation.proposal_id == proposal.id)
    )
    if tracked:
        return _link("implementation.project", slug=proposal.edition.slug, number=proposal.number)
    if proposal.number is None:
        return ""
    return _link("public.proposal", slug=proposal.edition.slug, number=proposal.number)


def _queue(
    session: Session,
    follow: Follow,
    event_key: str,
    subject: str,
    text: str,
    now: datetime,
) -> None:
    already = session.scalar(
        select(FollowNotice.id).where(
            FollowNotice.follow_id == follow.id, FollowNotice.event == event_key
        )
    )
    if already or any(
        isinstance(o, FollowNotice) and o.follow_id == follow.id and o.event == event_key
        for o in session.new
    ):
        return
    proposal = follow.proposal
    unsubscribe = _link("following.unsubscribe", token=unsubscribe_token(follow.id))
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = [
            _("Hello %(name)s,", name=follow.user.name),
            "",
            _("news of “%(title)s”, which you follow:", title=proposal.title),
            "",
            text,
        ]
        link = _proposal_link(proposal)
        if link:
            lines += ["", link]
        if unsubscribe:
            lines += ["", _("To stop following this project: %(link)s", link=unsubscribe)]
        message = OutboxMessage(
            recipient=follow.user.email,
            subject=f"{subject}: {proposal.title}"[:200],
            body="\n".join(lines),
            kind="follow." + event_key.split(":", 1)[0],
            created_at=now,
            list_unsubscribe=unsubscribe or None,
        )
    session.add(message)
    session.add(FollowNotice(follow_id=follow.id, event=event_key, sent_at=now))


def _followers(session: Session, proposal_id: int) -> list[Follow]:
    return list(session.scalars(select(Follow).where(Follow.proposal_id == proposal_id)))


def _subject(key: str) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return {
            "review": _("Reviewed"),
            "appeal": _("Appealed"),
            "appeal-decided": _("Appeal decided"),
            "ballot": _("On the ballot"),
            "funded": _("Funded"),
            "milestone": _("New milestone"),
            "status": _("Progress"),
        }[key]


def _text(key: str, **values) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        texts = {
            "review": lambda: _("The officials reviewed it: %(decision)s", **values),
            "appeal": lambda: _("Its author appealed against the review to the commission."),
            "appeal-decided": lambda: _(
                "The commission decided the appeal: %(decision)s", **values
            ),
            "ballot": lambda: _("It is on the ballot. Voting is open until %(end)s.", **values),
            "funded": lambda: _("The vote funded it. Its progress will be published on its page."),
            "milestone": lambda: _("%(day)s: %(text)s", **values),
            "status": lambda: _("Its status is now: %(status)s", **values),
        }
        return texts[key]()


def _decision_words(decision: str) -> str:
    from pb.web.labels import STATUS_LABELS

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        mapping = {
            "eligible": STATUS_LABELS[ProposalStatus.ELIGIBLE],
            "needs_changes": STATUS_LABELS[ProposalStatus.NEEDS_CHANGES],
            "ineligible": STATUS_LABELS[ProposalStatus.INELIGIBLE],
            "upheld": _("upheld, the proposal is eligible"),
            "rejected": _("rejected"),
        }
        return str(mapping.get(decision, decision))


def _on_audit(session: Session, entry: AuditEntry) -> None:
    import json

    after = json.loads(entry.after) if entry.after else {}
    now = entry.created_at
    if entry.action == "review.decide":
        key = f"review:{after.get('review')}"
        text = _text("review", decision=_decision_words(after.get("decision", "")))
        for follow in _followers(session, int(entry.object_id)):
            _queue(session, follow, key, _subject("review"), text, now)
    elif entry.action == "appeal.decide":
        key = f"appeal-decided:{after.get('appeal')}"
        text = _text("appeal-decided", decision=_decision_words(after.get("decision", "")))
        for follow in _followers(session, int(entry.object_id)):
            _queue(session, follow, key, _subject("appeal-decided"), text, now)
    elif entry.action == "result.publish":
        # The entry is written with the result it names: both rows exist.
        result = session.get_one(Result, int(entry.object_id))
        edition = session.get_one(Edition, result.edition_id)
        for proposal_id in _selected(result):
            for follow in _followers(session, proposal_id):
                _queue(
                    session,
                    follow,
                    f"funded:{edition.id}",
                    _subject("funded"),
                    _text("funded"),
                    now,
                )
    elif entry.action in ("implementation.milestone", "implementation.update"):
        from pb.implementation.labels import IMPLEMENTATION_LABELS
        from pb.implementation.models import Implementation, ImplementationStatus

        record = session.get_one(Implementation, int(entry.object_id))
        if entry.action == "implementation.milestone":
            key = f"milestone:{after.get('milestone')}"
            day = datetime.fromisoformat(after["happened_on"]).strftime("%d. %m. %Y")
            text = _text("milestone", day=day, text=after.get("text", ""))
            subject = _subject("milestone")
        elif "status" in after:
            key = f"status:{after['status']}"
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                words = str(IMPLEMENTATION_LABELS[ImplementationStatus(after["status"])])
            text, subject = _text("status", status=words), _subject("status")
        else:
            return
        for follow in _followers(session, record.proposal_id):
            _queue(session, follow, key, subject, text, now)


def _selected(result: Result) -> list[int]:
    import json

    snapshot = json.loads(result.snapshot)
    ids: list[int] = []
    for group in snapshot["groups"]:
        by_id = {p["id"]: p for p in group["projects"]}
        ids.extend(by_id[pid]["proposal_id"] for pid in group["selected"] if pid in by_id)
    return ids


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    new = list(session.new)
    for obj in new:
        if isinstance(obj, AuditEntry):
            _on_audit(session, obj)
        elif isinstance(obj, Appeal):
            proposal = obj.proposal or session.get_one(Proposal, obj.proposal_id)
            for follow in _followers(session, proposal.id):
                _queue(
                    session,
                    follow,
                    f"appeal:{proposal.id}",
                    _subject("appeal"),
                    _text("appeal"),
                    obj.submitted_at,
                )


# --- the clock's events: on the ballot, and the reminder before voting ends ----------------------


def send_clock_notices(now: datetime, remind_before: timedelta = timedelta(hours=48)) -> int:
    """Queue "on the ballot" notices for editions in voting, and the reminders asked for; flushes."""
    for edition in db.session.scalars(select(Edition)):
        if edition.phase_at(now) != Phase.VOTING:
            continue
        end = _format_time(edition.voting_ends_at, edition)
        follows = db.session.scalars(
            select(Follow)
            .join(Proposal)
            .where(Proposal.edition_id == edition.id, Proposal.status == ProposalStatus.ELIGIBLE)
        )
        for follow in follows:
            _queue(
                db.session(),
                follow,
                f"ballot:{edition.id}",
                _subject("ballot"),
                _text("ballot", end=end),
                now,
            )
        if edition.voting_ends_at - now <= remind_before:
            _remind(edition, end, now)
    queued = len([o for o in db.session.new if isinstance(o, OutboxMessage)])
    db.session.flush()
    return queued


def _remind(edition: Edition, end: str, now: datetime) -> None:
    waiting = db.session.scalars(
        select(VotingReminder).where(
            VotingReminder.edition_id == edition.id, VotingReminder.sent_at.is_(None)
        )
    )
    for reminder in waiting:
        from pb.accounts.models import User

        user = db.session.get_one(User, reminder.user_id)  # the reminder is deleted with them
        unsubscribe = _link("following.unsubscribe", token=unsubscribe_token(reminder.id, "r"))
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            body = "\n".join(
                [
                    _("Hello %(name)s,", name=user.name),
                    "",
                    _(
                        "voting in %(edition)s ends %(end)s. You asked us to remind you.",
                        edition=edition.name,
                        end=end,
                    ),
                    "",
                    _link("vote.index") or "",
                ]
            )
            subject = _("Voting ends soon: %(edition)s", edition=edition.name)
        db.session.add(
            OutboxMessage(
                recipient=user.email,
                subject=subject[:200],
                body=body,
                kind="follow.reminder",
                created_at=now,
                list_unsubscribe=unsubscribe or None,
            )
        )
        reminder.sent_at = now


def _format_time(moment: datetime, edition: Edition) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(edition.timezone)).strftime("%d. %m. %Y %H:%M")
