"""What the author of a proposal is told, and when: each review decision and each appeal decision.

Messages are written in the city's language (the author's choice of language on the site is not
stored), go into the outbox in the same transaction as the decision, and link to the public page.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from pb.core.timefmt import format_deadline
from pb.messaging import outbox
from pb.proposals.models import Appeal, AppealDecision, Proposal, Review, ReviewDecision


def _public_link(proposal: Proposal) -> str:
    if proposal.number is None or not has_request_context():
        return ""
    return url_for(
        "public.proposal", slug=proposal.edition.slug, number=proposal.number, _external=True
    )


def _my_link() -> str:
    return url_for("proposals.mine", _external=True) if has_request_context() else ""


def _city_locale() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def review_decided(proposal: Proposal, review: Review, now: datetime) -> None:
    with force_locale(_city_locale()):
        if review.decision == ReviewDecision.ELIGIBLE:
            outcome = _("Your proposal is eligible and will be on the ballot.")
        elif review.decision == ReviewDecision.NEEDS_CHANGES:
            outcome = _(
                "The reviewers ask you for changes. You can edit the proposal and send it back "
                "until %(deadline)s; then it returns to the review.",
                deadline=format_deadline(review.changes_deadline),
            )
        else:
            edition = proposal.edition
            outcome = _(
                "Your proposal is not eligible. You may appeal to the commission once, from "
                "%(start)s until %(end)s, on the page of your proposals.",
                start=format_deadline(edition.appeal_starts_at),
                end=format_deadline(edition.appeal_ends_at),
            )
        _tell_author(
            proposal,
            subject=_("Review of your proposal No. %(number)d"),
            opening=_("your proposal No. %(number)d “%(title)s” has been reviewed."),
            outcome=outcome,
            justification=review.justification,
            links=(_public_link(proposal), _my_link()),
            kind="review.decision",
            now=now,
        )


def appeal_decided(proposal: Proposal, appeal: Appeal, now: datetime) -> None:
    with force_locale(_city_locale()):
        if appeal.decision == AppealDecision.UPHELD:
            outcome = _(
                "The commission upheld your appeal: the proposal is eligible and will be on the ballot."
            )
        else:
            outcome = _("The commission rejected your appeal: the proposal stays not eligible.")
        _tell_author(
            proposal,
            subject=_("Decision on your appeal, proposal No. %(number)d"),
            opening=_(
                "the commission has decided on your appeal about proposal No. %(number)d “%(title)s”."
            ),
            outcome=outcome,
            justification=appeal.justification or "",
            links=(_public_link(proposal),),
            kind="appeal.decision",
            now=now,
        )


def _tell_author(
    proposal: Proposal,
    *,
    subject: str,
    opening: str,
    outcome: str,
    justification: str,
    links: tuple[str | None, ...],
    kind: str,
    now: datetime,
) -> None:
    """The letter to a proposal's author about a decision, with its justification. `subject` and
    `opening` come translated but not filled in: the letter puts in the proposal's %(number)d and
    %(title)s."""
    about = {"number": proposal.number, "title": proposal.title}
    lines = [
        _("Hello %(name)s,", name=proposal.author.name),
        "",
        opening % about,
        outcome,
        "",
        _("Justification:"),
        justification,
    ]
    for link in links:
        if link:
            lines += ["", link]
    outbox.enqueue(
        recipient=proposal.author.email,
        subject=subject % about,
        body="\n".join(lines),
        kind=kind,
        now=now,
    )
