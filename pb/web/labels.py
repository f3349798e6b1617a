"""Words shown for the domain's enums, translated; one place so every page says the same."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from pb.accounts.models import Role
from pb.editions.models import BallotRule, Phase, TallyRule
from pb.proposals.models import ProposalStatus, ReviewDecision
from pb.tally.ballot_rules import GroupRule, Rule

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


# Short names of the rules, for tables and the audit log (the sentences above explain them).
TALLY_RULE_NAMES = {
    TallyRule.GREEDY: _l("Most votes first, skipping what no longer fits"),
    TallyRule.GREEDY_NO_SKIP: _l("Most votes first, stopping at the first that does not fit"),
    TallyRule.GREEDY_THRESHOLD: _l("Most votes first, above a minimum support"),
    TallyRule.PLUS_MINUS: _l("Plus votes minus minus votes"),
    TallyRule.EQUAL_SHARES: _l("Method of Equal Shares"),
    TallyRule.EQUAL_SHARES_ADD1: _l("Method of Equal Shares, budget used up"),
    TallyRule.EQUAL_SHARES_ADD1_COMPARISON: _l(
        "Method of Equal Shares, compared with the vote count"
    ),
}

BALLOT_RULE_NAMES = {
    BallotRule.APPROVAL: _l("Choosing projects"),
    BallotRule.KNAPSACK: _l("Building a budget"),
    BallotRule.CUMULATIVE: _l("Spreading points"),
    BallotRule.PLUS_MINUS: _l("Plus and minus votes"),
}


def ballot_rule_text(group: GroupRule, money: str) -> str:
    """The ballot rule of a group (`Category.group_rule()`, a ballot's `GroupOnBallot.rule`) in
    one sentence, with its numbers."""
    rule = group.rule
    if rule == Rule.APPROVAL:
        low, high = group.min_choices or 1, group.max_choices
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
    if rule == Rule.KNAPSACK:
        return _("Mark projects whose total cost does not exceed %(budget)s.", budget=money)
    if rule == Rule.CUMULATIVE:
        return _(
            "Spread up to %(points)d points among projects, at most %(per)d on one project.",
            points=group.max_points or 0,
            per=group.max_points_per_project or group.max_points or 0,
        )
    if rule == Rule.RANKED:
        return ranked_rule_text(group)
    return _(
        "Give up to %(plus)d plus votes and up to %(minus)d minus votes, one per project; "
        "a minus vote counts only once you have given at least %(k)d plus votes.",
        plus=group.plus_votes or 0,
        minus=group.minus_votes or 0,
        k=group.minus_requires_plus or 0,
    )


def template_labels() -> dict[str, object]:
    return {
        "PHASE_LABELS": PHASE_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "REVIEW_LABELS": REVIEW_LABELS,
        "ROLE_LABELS": ROLE_LABELS,
        "TALLY_RULE_LABELS": TALLY_RULE_LABELS,
        "TALLY_RULE_NAMES": TALLY_RULE_NAMES,
        "BALLOT_RULE_NAMES": BALLOT_RULE_NAMES,
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
    "paper_ballot.enter": _l("Paper ballot entered"),
    "paper.check_in": _l("Voter checked in at the paper desk"),
    "paper.sheets_enter": _l("Paper ballot sheets entered"),
    "ballot_box.create": _l("Election key made"),
    "ballot_box.open": _l("Ballot box opened"),
    "key_share.collect": _l("Key share received"),
    "member_key.create": _l("Commission member's key prepared"),
    "edition.extend_voting": _l("Voting extended"),
    "registry.import": _l("Register of residents imported"),
    "result.count": _l("Votes counted"),
    "result.correct": _l("Count corrected"),
    "result.approve": _l("Results approved"),
    "result.publish": _l("Results published"),
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
    app.context_processor(rule_template_labels)


# --- ranked ballots, the reserve and exclusive pairs (issue 14) ------------------------------

TALLY_RULE_LABELS[TallyRule.GREEDY_CUSTOM] = _l(
    "Projects are funded in order of votes until the first one that does not fit the remaining "
    "money; that one is still funded from the reserve when enough of its cost is left."
)

AUDIT_ACTION_LABELS.update(
    {
        "exclusive.mark": _l("Proposals marked as not to be carried out together"),
        "exclusive.remove": _l("Pair of proposals that exclude each other removed"),
        "implementation.photo_remove": _l("Photo of a milestone removed"),
        "proposal.photo_remove": _l("Photo of a proposal removed"),
    }
)


def points_by_rank_text(points) -> str:
    """ "points by rank: 3, 2, 1" for a results page or a ballot."""
    return _("points by rank: %(points)s", points=", ".join(str(p) for p in points))


def ranked_rule_text(group: GroupRule) -> str:
    """A ranked group's rule in one sentence: how many ranks, how many points each."""
    return ngettext(
        "Rank up to %(num)d project, your first choice first; %(points)s.",
        "Rank up to %(num)d projects, your first choice first; %(points)s.",
        group.max_ranks or 0,
        points=points_by_rank_text(group.points_by_rank),
    )


def rank_option_text(rank: int, points: int) -> str:
    """One choice of a ranked ballot's select: "Rank 1 (3 points)"."""
    return ngettext(
        "Rank %(rank)d (%(num)d point)", "Rank %(rank)d (%(num)d points)", points, rank=rank
    )


def rule_template_labels() -> dict[str, object]:
    return {
        "rank_option_text": rank_option_text,
        "points_by_rank_text": points_by_rank_text,
    }
