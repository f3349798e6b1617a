"""Words shown for the domain's enums, translated; one place so every page says the same."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from pb.accounts.models import Role
from pb.editions.models import BallotRule, Category, Phase, TallyRule
from pb.proposals.models import ProposalStatus, ReviewDecision

PHASE_LABELS = {
    Phase.PREPARATION: _l("Preparation"),
    Phase.SUBMISSION: _l("Submitting proposals"),
    Phase.REVIEW: _l("Review of proposals"),
    Phase.APPEAL: _l("Appeals"),
    Phase.VOTING: _l("Voting"),
    Phase.COUNTING: _l("Counting votes"),
    Phase.PUBLISHED: _l("Results published"),
}

STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted, awaiting review"),
    ProposalStatus.NEEDS_CHANGES: _l("Needs changes"),
    ProposalStatus.ELIGIBLE: _l("Eligible for voting"),
    ProposalStatus.INELIGIBLE: _l("Not eligible"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
}

REVIEW_LABELS = {
    ReviewDecision.ELIGIBLE: _l("Reviewed: eligible for voting."),
    ReviewDecision.NEEDS_CHANGES: _l("Reviewed: the author is asked for changes."),
    ReviewDecision.INELIGIBLE: _l("Reviewed: not eligible."),
}

ROLE_LABELS = {
    Role.RESIDENT: _l("Resident"),
    Role.OFFICIAL: _l("Official"),
    Role.COMMISSION: _l("Commission member"),
    Role.ADMIN: _l("Administrator"),
    Role.IMPLEMENTER: _l("Implementer"),
}

TALLY_RULE_LABELS = {
    TallyRule.GREEDY: _l(
        "Projects are funded in order of votes; one that no longer fits the remaining money is "
        "skipped and the next one is tried."
    ),
    TallyRule.GREEDY_NO_SKIP: _l(
        "Projects are funded in order of votes until the first one that does not fit the remaining money."
    ),
    TallyRule.GREEDY_THRESHOLD: _l(
        "Projects that reach the minimum support are funded in order of votes, skipping any that "
        "no longer fits."
    ),
    TallyRule.PLUS_MINUS: _l(
        "Projects are funded in order of plus votes minus minus votes, skipping any that no longer fits."
    ),
    TallyRule.EQUAL_SHARES: _l(
        "Method of Equal Shares: every voter controls an equal share of the budget, and a project is "
        "funded when its supporters can pay for it together."
    ),
    TallyRule.EQUAL_SHARES_ADD1: _l(
        "Method of Equal Shares, with the voters' shares raised step by step so that as much of the "
        "budget as possible is used."
    ),
    TallyRule.EQUAL_SHARES_ADD1_COMPARISON: _l(
        "Method of Equal Shares, compared with the plain vote count: the outcome more voters prefer wins."
    ),
}


def ballot_rule_text(category: Category, money: str) -> str:
    """The ballot rule of a group in one sentence, with its numbers."""
    rule = category.ballot_rule
    if rule == BallotRule.APPROVAL:
        low, high = category.min_choices or 1, category.max_choices
        if high is None:
            return ngettext(
                "Mark at least %(num)d project you support.",
                "Mark at least %(num)d projects you support.",
                low,
            )
        if low == high:
            return ngettext(
                "Mark exactly %(num)d project you support.",
                "Mark exactly %(num)d projects you support.",
                high,
            )
        return _("Mark from %(low)d to %(high)d projects you support.", low=low, high=high)
    if rule == BallotRule.KNAPSACK:
        return _("Mark projects whose total cost does not exceed %(budget)s.", budget=money)
    if rule == BallotRule.CUMULATIVE:
        return _(
            "Spread up to %(points)d points among projects, at most %(per)d on one project.",
            points=category.max_points or 0,
            per=category.max_points_per_project or category.max_points or 0,
        )
    return _(
        "Give up to %(plus)d plus votes and up to %(minus)d minus votes, one per project; "
        "a minus vote counts only once you have given at least %(k)d plus votes.",
        plus=category.plus_votes or 0,
        minus=category.minus_votes or 0,
        k=category.minus_requires_plus or 0,
    )


def template_labels() -> dict[str, object]:
    return {
        "PHASE_LABELS": PHASE_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "REVIEW_LABELS": REVIEW_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "TALLY_RULE_LABELS": TALLY_RULE_LABELS,
        "ballot_rule_text": ballot_rule_text,
    }


# --- proposals, review and appeals --------------------------------------------------------------

DECISION_CHOICE_LABELS = {
    ReviewDecision.ELIGIBLE: _l("Eligible: the proposal goes on the ballot"),
    ReviewDecision.NEEDS_CHANGES: _l("Needs changes: the author may fix it until a deadline"),
    ReviewDecision.INELIGIBLE: _l("Not eligible"),
}

APPEAL_DECISION_LABELS = {
    "upheld": _l("Upheld: the proposal becomes eligible"),
    "rejected": _l("Rejected: the proposal stays not eligible"),
}

QUEUE_STATE_LABELS = {
    "awaiting": _l("Awaiting a decision"),
    "waiting_for_author": _l("Waiting for the author's changes"),
    "changes_overdue": _l("Changes not sent in time"),
    "eligible": _l("Eligible"),
    "ineligible": _l("Not eligible"),
    "short_of_supports": _l("Not reviewed: too few supports"),
}

AUDIT_ACTION_LABELS = {
    "edition.create": _l("Edition created"),
    "edition.update": _l("Edition settings changed"),
    "edition.schedule_shift": _l("Schedule moved"),
    "category.create": _l("Project group added"),
    "category.update": _l("Project group changed"),
    "category.delete": _l("Project group removed"),
    "criterion.create": _l("Criterion added"),
    "criterion.update": _l("Criterion changed"),
    "criterion.delete": _l("Criterion removed"),
    "proposal.assign": _l("Proposal assigned"),
    "proposal.review": _l("Proposal reviewed"),
    "review.criterion": _l("Criterion checked"),
    "review.decide": _l("Review decision"),
    "appeal.decide": _l("Appeal decided"),
}


def review_template_labels() -> dict[str, object]:
    return {
        "DECISION_CHOICE_LABELS": DECISION_CHOICE_LABELS,
        "APPEAL_DECISION_LABELS": APPEAL_DECISION_LABELS,
        "QUEUE_STATE_LABELS": QUEUE_STATE_LABELS,
        "AUDIT_ACTION_LABELS": AUDIT_ACTION_LABELS,
    }


def init_app(app: Flask) -> None:
    app.context_processor(template_labels)
