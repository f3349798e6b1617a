"""Counting, four-eyes approval and publication of results; reading what was published.

After voting ends a commission member counts: every project group is tallied by its own rule with
the tally engine, and the whole outcome (every group's projects, scores, explanations and the
anonymous ballots it was counted from, plus the turnout) is frozen as canonical JSON with its
SHA-256. Two different commission members approve that very hash; then the result is published.
A published result never changes: a correction is a new version, counted again, with a reason,
approved and published the same way; the earlier version stays readable.

Counting again before publication supersedes the unpublished count (its approvals die with it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import func, select

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.core.errors import Conflict, InvalidInput, NotFound
from pb.core.extensions import db
from pb.core.timefmt import iso_time
from pb.core.unit_of_work import add_unless_taken
from pb.editions.models import BallotRule, Category, Edition
from pb.editions.operations import publish_head
from pb.proposals.models import ExclusivePair, Proposal, ProposalStatus
from pb.results.models import Result, ResultApproval, ResultStatus
from pb.results.turnout import turnout_statistics
from pb.tally import (
    RULES,
    Election,
    Project,
    RuleOptions,
    TallyError,
    TallyResult,
    TieBreak,
    TieBreakCriterion,
    VoteType,
    count_support,
    tally_with,
)
from pb.tally import Ballot as TallyBallot
from pb.tally.ballot_rules import LIMITS
from pb.tally.model import check_ballot_shape
from pb.tally.tiebreak import GREEDY_TIE_BREAK, ORDINAL_GREEDY_TIE_BREAK
from pb.voting.ballot_box import require_opened
from pb.voting.models import Ballot, BallotChoice, Participation

SNAPSHOT_FORMAT = 1


class CountFailed(Conflict):
    """The count could not finish; the request rolls back, so nothing of it stays."""


APPROVALS_NEEDED = 2
# The count reads every mark of an edition (a million rows for 100 000 ballots) once: fetched
# in batches of this many (a server-side cursor on PostgreSQL), never all buffered at once.
CHOICE_ROWS_PER_FETCH = 10_000
MIN_REASON_LENGTH = 10

VOTE_TYPES = {
    BallotRule.APPROVAL: VoteType.APPROVAL,
    BallotRule.KNAPSACK: VoteType.APPROVAL,
    BallotRule.CUMULATIVE: VoteType.CUMULATIVE,
    BallotRule.PLUS_MINUS: VoteType.SCORING,  # +1 and -1 points; the net score ranks
    BallotRule.RANKED: VoteType.ORDINAL,  # ranks on the ballot, points by rank at the count
}

BALLOT_LIMITS = tuple(name for name in LIMITS if name != "budget")
"""A group's limits on what a ballot may mark, as its columns name them (the group's budget is a
field of the snapshot of its own)."""

BALLOT_PARAMETERS = (*BALLOT_LIMITS, "rank_points")


def ballot_parameters(category: Category, names: Iterable[str] = BALLOT_PARAMETERS) -> dict:
    """The named ballot parameters the group sets (those left unset are left out)."""
    return {name: getattr(category, name) for name in names if getattr(category, name) is not None}


# --- exact numbers in JSON ----------------------------------------------------------------------

_FRACTION = re.compile(r"^-?\d+/\d+$")


def encode_number(value: int | Fraction | str) -> int | str:
    """Whole numbers stay numbers; other fractions become "p/q" so nothing is rounded."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        return f"{value.numerator}/{value.denominator}"
    return value


def decode_number(value: int | Fraction | str) -> int | Fraction | str:
    if isinstance(value, str) and _FRACTION.match(value):
        return Fraction(value)
    return value


def decode_points(text: str) -> tuple[int | Fraction, ...]:
    """A ballot's points as a snapshot writes them ("3,1/2"): whole numbers and fractions."""
    return tuple(Fraction(p) if _FRACTION.match(p) else int(p) for p in text.split(","))


def canonical(snapshot: dict) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- one group's tally ------------------------------------------------------------------------


def project_id(number: int, width: int) -> str:
    """A project is known by the number residents quote ("návrh č. 12"), here and in Pabulib.

    Zero-padded to one width per group ("007", "012"), so that the engine's and pabutools' text
    order of project ids is the order of the proposal numbers: "then the lower proposal number"
    is then what the tie-break really does.
    """
    return f"{number:0{width}d}"


def id_width(numbers) -> int:
    return max([3, *(len(str(n)) for n in numbers)])


def tie_break_for(rule: str, lottery_seed: str | None, *, ordinal: bool = False) -> TieBreak:
    """The rule's own tie-break; with a published lottery seed, the draw decides before the id.

    Greedy rules on ranked ballots break ties by first ranks, as the engine does by default
    (so that `pb-tally` on the exported file agrees without being told)."""
    default = RULES[rule].default_tie_break
    if ordinal and default is GREEDY_TIE_BREAK:
        default = ORDINAL_GREEDY_TIE_BREAK
    if not lottery_seed:
        return default
    criteria = [c for c in default.criteria if c is not TieBreakCriterion.PROJECT_ID]
    return TieBreak((*criteria, TieBreakCriterion.LOTTERY), lottery_seed)


@dataclass(frozen=True)
class GroupCount:
    """What counting one group needs and gives: the election, its outcome, the proposals."""

    category: Category
    election: Election
    outcome: TallyResult
    proposals: dict[str, Proposal]
    withdrawn: tuple[str, ...]
    tie_break: TieBreak
    exclusive: tuple[tuple[str, str], ...] = ()
    reserve_share: Fraction | None = None


BallotMarks = tuple[tuple[int, int], ...]
"""One ballot's marks in one group: (proposal number, value) pairs, by number."""


@dataclass(frozen=True)
class BoxContents:
    """Every plain ballot of an edition, read once: how many, their SHA-256 (see `read_box`) and,
    per group, how many ballots carry each set of marks (category id -> marks by proposal id ->
    ballots; the count names the proposals by number, `_by_number`)."""

    ballots: int
    sha256: str
    groups: dict[int, Counter[BallotMarks]]

    @property
    def fingerprint(self) -> dict:
        return {"ballots": self.ballots, "sha256": self.sha256}


def read_box(edition_id: int) -> BoxContents:
    """Every ballot of the edition's box in key order (each ballot's id and its choices): the
    SHA-256 over all of them, so that a count can be compared with the box later, and the marks
    grouped, so that each group's tally checks every different ballot once.

    One pass over the rows, streamed in batches (a server-side cursor on PostgreSQL) as plain
    Core rows, not ORM rows. The text hashed is what it always was: "\n<ballot id>" per ballot,
    then ";<group>:<proposal>=<value>" per choice, by group and proposal.
    """
    digest = hashlib.sha256()
    hashed: list[str] = []
    # Marks by proposal id; the count looks each number up once per different ballot (`_by_number`).
    by_proposal_id: dict[int, Counter[BallotMarks]] = defaultdict(Counter)
    ballots = 0
    current = None
    marks: dict[int, list[tuple[int, int]]] = {}  # the current ballot's, by group
    rows = db.session.connection().execute(
        select(Ballot.id, BallotChoice.category_id, BallotChoice.proposal_id, BallotChoice.value)
        .outerjoin(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.edition_id == edition_id)
        .order_by(Ballot.id, BallotChoice.category_id, BallotChoice.proposal_id)
        .execution_options(yield_per=CHOICE_ROWS_PER_FETCH)
    )
    for ballot_id, category_id, proposal_id, value in rows:
        if ballot_id != current:
            for group, in_group in marks.items():
                by_proposal_id[group][tuple(in_group)] += 1
            marks = {}
            current = ballot_id
            ballots += 1
            hashed.append(f"\n{ballot_id}")
            if len(hashed) >= CHOICE_ROWS_PER_FETCH:
                digest.update("".join(hashed).encode())
                hashed.clear()
        if proposal_id is not None:
            hashed.append(f";{category_id}:{proposal_id}={value}")
            marks.setdefault(category_id, []).append((proposal_id, value))
    for group, in_group in marks.items():
        by_proposal_id[group][tuple(in_group)] += 1
    digest.update("".join(hashed).encode())
    return BoxContents(ballots, digest.hexdigest(), by_proposal_id)


def _by_number(groups: dict[int, Counter[BallotMarks]]) -> dict[int, Counter[BallotMarks]]:
    """The same counted marks with each proposal named by its number (what the count ranks)."""
    ids = {
        proposal_id for counted in groups.values() for marks in counted for proposal_id, _ in marks
    }
    number_of = dict(
        db.session.execute(select(Proposal.id, Proposal.number).where(Proposal.id.in_(ids))).all()
    )
    numbered: dict[int, Counter[BallotMarks]] = {}
    for category_id, counted in groups.items():
        numbered[category_id] = Counter()
        for marks, ballots in counted.items():
            numbers = []
            for proposal_id, value in marks:
                number = number_of[proposal_id]
                assert number is not None, (
                    "a proposal on a ballot was numbered when it was submitted"
                )
                numbers.append((number, value))
            numbered[category_id][tuple(sorted(numbers))] += ballots
    return numbered


def _number_of(proposal: Proposal) -> int:
    # Submission numbers a proposal; a draft is never eligible, nor on a ballot.
    assert proposal.number is not None, f"proposal {proposal.id} reached the count unnumbered"
    return proposal.number


def count_group(category: Category, ballots: Counter[BallotMarks]) -> GroupCount:
    """Tally one group from its ballots (each different ballot's marks -> how many cast it).

    The projects are the group's eligible proposals; a proposal someone voted for that is no
    longer eligible stays in the count as withdrawn, so that the ballots still add up.
    """
    eligible = list(
        db.session.scalars(
            select(Proposal).where(
                Proposal.category_id == category.id, Proposal.status == ProposalStatus.ELIGIBLE
            )
        )
    )
    on_ballots = {number for marks in ballots for number, _value in marks}
    missing = on_ballots - {p.number for p in eligible}
    others = []
    if missing:
        others = list(
            db.session.scalars(
                select(Proposal).where(
                    Proposal.category_id == category.id, Proposal.number.in_(sorted(missing))
                )
            )
        )
    found = sorted(eligible + others, key=_number_of)
    width = id_width(_number_of(p) for p in found)
    proposals = {project_id(_number_of(p), width): p for p in found}
    withdrawn = tuple(project_id(_number_of(p), width) for p in others)
    vote_type = VOTE_TYPES[category.ballot_rule]
    raw: list = []
    for marks, cast in ballots.items():
        # Highest points first (Pabulib lists a ballot's projects that way), then by number.
        ordered = sorted(marks, key=lambda mark: (-mark[1], mark[0]))
        if vote_type.has_points:
            raw.append(([(project_id(n, width), value) for n, value in ordered], cast))
        else:
            raw.append(([project_id(n, width) for n, _value in ordered], cast))
    rule = category.tally_rule.value
    ordinal = vote_type is VoteType.ORDINAL
    tie_break = tie_break_for(rule, category.edition.lottery_seed, ordinal=ordinal)
    exclusive = exclusive_pairs_of(category, proposals)
    reserve_share = (
        Fraction(category.reserve_share_percent, 100) if RULES[rule].takes_reserve_share else None
    )
    try:
        projects = [Project(pid, p.total_cost) for pid, p in proposals.items()]
        if ordinal:
            election = ranked_election(category, projects, ballots, width)
        else:
            election = Election.build_counted(
                budget=category.budget, projects=projects, ballots=raw, vote_type=vote_type
            )
        threshold = category.score_threshold if RULES[rule].needs_threshold else None
        outcome = tally_with(
            election,
            rule,
            RuleOptions(
                tie_break=tie_break,
                threshold=threshold,
                withdrawn=withdrawn,
                reserve_share=reserve_share,
                exclusive=exclusive,
            ),
        )
    except TallyError as error:
        raise CountFailed(
            _(
                "The group %(group)s could not be counted: %(problem)s. Nothing was saved and "
                "voting stays closed; the edition can be counted again. Tell the administrator "
                "and the city's tally support this message and the group's name.",
                group=category.name,
                problem=str(error),
            )
        ) from None
    return GroupCount(
        category, election, outcome, proposals, withdrawn, tie_break, exclusive, reserve_share
    )


def ranked_election(
    category: Category, projects: list[Project], ballots: Counter[BallotMarks], width: int
) -> Election:
    """Ranked ballots store a rank per project; here each rank becomes the points the group
    gives it (3, 2, 1 in Kraków), written on the ballot as Pabulib's ordinal files with points
    carry them, so that the export recounts without knowing the group's settings."""
    points_by_rank = category.points_by_rank
    index_of = {project.id: index for index, project in enumerate(projects)}
    counts: Counter[tuple[tuple[int, ...], tuple[int, ...]]] = Counter()
    for number, (marks, cast) in enumerate(ballots.items(), start=1):
        ordered = sorted(marks, key=lambda mark: (mark[1], mark[0]))  # rank 1 first
        if any(not 1 <= rank <= len(points_by_rank) for _n, rank in ordered):
            raise TallyError(f"ballot {number} gives a rank the group does not have")
        indices = tuple(index_of[project_id(n, width)] for n, _rank in ordered)
        points = tuple(points_by_rank[rank - 1] for _n, rank in ordered)
        check_ballot_shape(
            VoteType.ORDINAL, indices, points, category.max_ranks, f"ballot {number}"
        )
        counts[(indices, points)] += cast
    return Election(
        budget=category.budget,
        projects=tuple(projects),
        vote_type=VoteType.ORDINAL,
        ballots=tuple(
            TallyBallot(indices, points, count) for (indices, points), count in counts.items()
        ),
        ordinal_max_length=category.max_ranks,
    )


def exclusive_pairs_of(
    category: Category, proposals: dict[str, Proposal]
) -> tuple[tuple[str, str], ...]:
    """The group's pairs of proposals that cannot both be carried out, as project ids (both
    must be in the count: a pair with a proposal that is not on the ballot changes nothing)."""
    id_of = {p.id: pid for pid, p in proposals.items()}
    rows = db.session.execute(
        select(ExclusivePair.first_id, ExclusivePair.second_id).where(
            ExclusivePair.edition_id == category.edition_id
        )
    )
    pairs = []
    for first, second in rows:
        if first in id_of and second in id_of:
            lower, higher = sorted((id_of[first], id_of[second]))
            pairs.append((lower, higher))
    return tuple(sorted(pairs))


def _reason_json(reason) -> dict:
    return {
        "code": reason.code.value,
        "values": {name: encode_number(value) for name, value in reason.values},
        "text": reason.text,
    }


def group_snapshot(group: GroupCount) -> dict:
    category, election, outcome = group.category, group.election, group.outcome
    support = count_support(election)
    index_of = election.index_of
    projects = []
    for line in outcome.projects:
        proposal = group.proposals[line.project_id]
        index = index_of[line.project_id]
        projects.append(
            {
                "id": line.project_id,
                "number": proposal.number,
                "proposal_id": proposal.id,
                "title": proposal.title,
                "cost": line.cost,
                "score": encode_number(line.score),
                "supporters": support.supporters[index],
                "opponents": support.opponents[index],
                "selected": line.selected,
                "withdrawn": line.project_id in group.withdrawn,
                "funded_from_reserve": line.from_reserve,
                "reason": _reason_json(line.reason),
            }
        )
    ballots = sorted(
        (
            ",".join(election.projects[i].id for i in ballot.projects),
            ",".join(str(encode_number(p)) for p in ballot.points) if ballot.points else None,
            ballot.count,
        )
        for ballot in election.ballots
    )
    return {
        "category_id": category.id,
        "position": category.position,
        "name": category.name,
        "name_en": category.name_en,
        "district": category.district.code if category.district else None,
        "district_name": category.district.name if category.district else None,
        "budget": category.budget,
        "ballot_rule": category.ballot_rule.value,
        "ballot_parameters": ballot_parameters(category),
        "rule": outcome.rule,
        "vote_type": election.vote_type.value,
        "threshold": category.score_threshold if RULES[outcome.rule].needs_threshold else None,
        "tie_break": [c.value for c in group.tie_break.criteria],
        "tie_break_text": outcome.tie_break,
        "lottery_seed": group.tie_break.lottery_seed,
        "withdrawn": list(group.withdrawn),
        "voters": election.voter_count,
        "spent": outcome.spent,
        "money_left": outcome.money_left,
        "selected": list(outcome.selected),
        "reserve": list(outcome.reserve),
        "reserve_share": (
            encode_number(group.reserve_share) if group.reserve_share is not None else None
        ),
        "exclusive": [list(pair) for pair in group.exclusive],
        "notes": [_reason_json(note) for note in outcome.notes],
        "projects": projects,
        "ballots": [list(b) for b in ballots],
    }


def build_snapshot(
    edition: Edition, *, version: int, now: datetime, correction_reason: str | None
) -> dict:
    """Count every group of the edition and describe the whole outcome as plain data."""
    contents = read_box(edition.id)
    numbered = _by_number(contents.groups)
    groups = [
        group_snapshot(count_group(c, numbered.get(c.id, Counter()))) for c in edition.categories
    ]
    box = contents.fingerprint
    ballots = contents.ballots
    return {
        "format": SNAPSHOT_FORMAT,
        "edition": {
            "id": edition.id,
            "slug": edition.slug,
            "name": edition.name,
            "name_en": edition.name_en,
            "currency": edition.currency,
            "timezone": edition.timezone,
            "total_budget": edition.total_budget,
            "voting_starts_at": iso_time(edition.voting_starts_at),
            "voting_ends_at": iso_time(edition.voting_ends_at),
            "lottery_seed": edition.lottery_seed,
        },
        "version": version,
        "counted_at": iso_time(now),
        "correction_reason": correction_reason,
        "ballots": ballots,
        "box": box,
        "turnout": turnout_statistics(edition),
        "groups": groups,
    }


# --- the commission's steps ----------------------------------------------------------------------


_Locked = TypeVar("_Locked", Edition, Result)


def _locked(row: _Locked) -> _Locked:
    """The row read afresh and locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    model = type(row)
    return db.session.execute(
        select(model)
        .where(model.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _require_voting_over(edition: Edition, now: datetime) -> None:
    edition.assert_countable(now)


def box_fingerprint(edition_id: int) -> dict:
    """The number of ballots in the edition's box and a SHA-256 over all of them (`read_box`)."""
    return read_box(edition_id).fingerprint


def versions(edition: Edition) -> list[Result]:
    """Every counted version of an edition, newest first."""
    return list(
        db.session.scalars(
            select(Result).where(Result.edition_id == edition.id).order_by(Result.version.desc())
        )
    )


def pending_result(edition: Edition) -> Result | None:
    """The counted, not yet published version the commission is working on, if any."""
    return db.session.scalar(
        select(Result).where(Result.edition_id == edition.id, Result.status == ResultStatus.COUNTED)
    )


def published_result(edition: Edition) -> Result | None:
    """The version in force: published and not replaced by a correction."""
    return db.session.scalar(
        select(Result).where(
            Result.edition_id == edition.id, Result.status == ResultStatus.PUBLISHED
        )
    )


def count_results(
    edition: Edition, *, actor: User, now: datetime, reason: str | None = None
) -> Result:
    """Count every group and freeze the outcome as a new version.

    Before publication this is the count (or a recount that supersedes the unpublished one).
    After publication it is a correction and needs a reason; the published version stays in
    force until the correction is approved and published.
    """
    require_role(actor, Role.COMMISSION)
    edition = _locked(edition)
    _require_voting_over(edition, now)
    reason = (reason or "").strip() or None
    in_force = published_result(edition)
    if in_force is not None and reason is None:
        raise InvalidInput(
            _(
                "The results are published and cannot change. To correct them, count again as "
                "a correction and say why."
            ),
            field="reason",
        )
    if reason is not None and len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(
            _(
                "Say why the results are corrected, in at least %(n)d characters.",
                n=MIN_REASON_LENGTH,
            ),
            field="reason",
        )
    if in_force is None:
        reason = None  # before publication a recount is not a correction
    latest = db.session.scalar(
        select(func.max(Result.version)).where(Result.edition_id == edition.id)
    )
    version = (latest or 0) + 1
    # Sealed ballots are counted only once k commission members have opened the box
    # (pb.voting.ballot_box): the plain ballots are then in random order under one transaction.
    require_opened(edition)
    first_count = latest is None
    if edition.count_started_at is None:  # opening the box normally set it already
        # The one-way door: from now on no ballot enters and voting never reopens.
        edition.count_started_at = now.replace(microsecond=0)
    superseded = pending_result(edition)
    if superseded is not None:
        superseded.status = ResultStatus.SUPERSEDED
    snapshot = build_snapshot(edition, version=version, now=now, correction_reason=reason)
    text = canonical(snapshot)
    result = Result(
        edition_id=edition.id,
        version=version,
        status=ResultStatus.COUNTED,
        snapshot=text,
        snapshot_sha256=sha256_of(text),
        correction_reason=reason,
        counted_by_id=actor.id,
        counted_at=now,
    )
    add_unless_taken(
        result, _("Another count of this edition was saved at the same moment. Reload the page.")
    )
    audit.record(
        actor,
        "result.correct" if reason else "result.count",
        result,
        before=None
        if superseded is None
        else {"version": superseded.version, "status": ResultStatus.COUNTED.value},
        after={
            "edition": edition.slug,
            "version": version,
            "snapshot_sha256": result.snapshot_sha256,
            "correction_reason": reason,
            "superseded_version": superseded.version if superseded is not None else None,
            "box": snapshot["box"],
        },
        now=now,
    )
    if first_count:
        publish_head("count", now, edition_slug=edition.slug, phase="counting")
    return result


def approve_result(
    result: Result, *, actor: User, snapshot_sha256: str, now: datetime
) -> ResultApproval:
    """One commission member approves exactly the snapshot they saw (named by its hash)."""
    require_role(actor, Role.COMMISSION)
    result = _locked(result)
    if result.status != ResultStatus.COUNTED:
        raise Conflict(
            _(
                "Version %(version)d is no longer waiting for approval; approve the current count.",
                version=result.version,
            )
        )
    if snapshot_sha256 != result.snapshot_sha256:
        raise Conflict(
            _(
                "The count changed after you opened it. Check the count shown now and approve "
                "it again."
            )
        )
    if sha256_of(result.snapshot) != result.snapshot_sha256:
        raise Conflict(_("The stored count does not match its SHA-256. Count again."))
    if any(a.approver_id == actor.id for a in result.approvals):
        raise Conflict(
            _(
                "You have already approved this count. A second, different member of the "
                "commission must approve it."
            )
        )
    approval = ResultApproval(
        result_id=result.id, approver_id=actor.id, snapshot_sha256=snapshot_sha256, approved_at=now
    )
    add_unless_taken(
        approval,
        _(
            "You have already approved this count. A second, different member of the "
            "commission must approve it."
        ),
    )
    db.session.refresh(result)
    audit.record(
        actor,
        "result.approve",
        result,
        after={
            "version": result.version,
            "snapshot_sha256": snapshot_sha256,
            "approvals": len(result.approvals),
        },
        now=now,
    )
    return approval


def _require_box_unchanged(edition: Edition, result: Result) -> None:
    """A result is published only as the box holds it: same number of ballots, same hash."""
    if edition.count_started_at is None:
        raise Conflict(_("This edition was never counted; count it first."))
    counted = json.loads(result.snapshot).get("box")
    box = box_fingerprint(edition.id)
    if counted != box:
        raise Conflict(
            _(
                "The ballot box has changed since this count: it holds %(now)d ballots, the "
                "count %(counted)d. It cannot be published; count again.",
                now=box["ballots"],
                counted=(counted or {}).get("ballots", 0),
            )
        )


def valid_approvals(result: Result) -> list[ResultApproval]:
    """Approvals of this result's own hash, one per member."""
    seen: dict[int, ResultApproval] = {}
    for approval in sorted(result.approvals, key=lambda a: a.approved_at):
        if approval.snapshot_sha256 == result.snapshot_sha256:
            seen.setdefault(approval.approver_id, approval)
    return list(seen.values())


def publish_result(result: Result, *, actor: User, now: datetime) -> Result:
    """Publish a count that two different commission members approved; it is then frozen."""
    require_role(actor, Role.COMMISSION)
    edition = _locked(db.session.get_one(Edition, result.edition_id))
    result = _locked(result)
    _require_voting_over(edition, now)
    if result.status != ResultStatus.COUNTED:
        raise Conflict(
            _(
                "Version %(version)d cannot be published: it is not the current count.",
                version=result.version,
            )
        )
    if sha256_of(result.snapshot) != result.snapshot_sha256:
        raise Conflict(_("The stored count does not match its SHA-256. Count again."))
    approvals = valid_approvals(result)
    if len(approvals) < APPROVALS_NEEDED:
        raise Conflict(
            _(
                "Two different members of the commission must approve this count before it is "
                "published; approvals so far: %(n)d.",
                n=len(approvals),
            )
        )
    if all(a.approver_id == result.counted_by_id for a in approvals):
        raise Conflict(
            _(
                "The member who counted cannot be the only approver; another member of the "
                "commission must approve this count."
            )
        )
    _require_box_unchanged(edition, result)
    replaced = published_result(edition)
    if replaced is not None:
        replaced.status = ResultStatus.SUPERSEDED
    result.status = ResultStatus.PUBLISHED
    result.published_at = now
    if edition.results_published_at is None:
        edition.results_published_at = now
    db.session.flush()
    approvers = db.session.scalars(
        select(User.email).where(User.id.in_([a.approver_id for a in approvals]))
    )
    audit.record(
        actor,
        "result.publish",
        result,
        before=None if replaced is None else {"published_version": replaced.version},
        after={
            "edition": edition.slug,
            "version": result.version,
            "snapshot_sha256": result.snapshot_sha256,
            "approved_by": sorted(approvers),
        },
        now=now,
    )
    publish_head("publication", now, edition_slug=edition.slug, phase="published")
    return result


# --- reading ---------------------------------------------------------------------------------------


def public_versions(edition: Edition) -> list[Result]:
    """Every version that was ever published, newest first (a correction keeps the old ones)."""
    return list(
        db.session.scalars(
            select(Result)
            .where(Result.edition_id == edition.id, Result.published_at.is_not(None))
            .order_by(Result.version.desc())
        )
    )


def get_public_result(edition: Edition, version: int | None = None) -> Result:
    """The result in force, or a given version if it was ever published; NotFound otherwise."""
    if version is None:
        found = published_result(edition)
    else:
        found = db.session.scalar(
            select(Result).where(
                Result.edition_id == edition.id,
                Result.version == version,
                Result.published_at.is_not(None),
            )
        )
    if found is None:
        raise NotFound(_("No results of this edition are published yet."))
    return found


def get_version(edition: Edition, version: int) -> Result:
    found = db.session.scalar(
        select(Result).where(Result.edition_id == edition.id, Result.version == version)
    )
    if found is None:
        raise NotFound(_("There is no such count."))
    return found


def snapshot_of(result: Result) -> dict:
    """The frozen snapshot, after checking that it still matches its hash."""
    if sha256_of(result.snapshot) != result.snapshot_sha256:
        raise Conflict(_("The stored count does not match its SHA-256."))
    return json.loads(result.snapshot)


def find_group(snapshot: dict, category_id: int) -> dict:
    for group in snapshot["groups"]:
        if group["category_id"] == category_id:
            return group
    raise NotFound(_("There is no such project group in these results."))


def people(ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def participation_count(edition: Edition) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Participation)
        .where(Participation.edition_id == edition.id)
    ).scalar_one()


def election_from_snapshot(group: dict) -> Election:
    """The election a group was counted from, rebuilt exactly from the snapshot's ballots."""
    projects = tuple(
        Project(p["id"], p["cost"]) for p in sorted(group["projects"], key=lambda p: p["id"])
    )
    index_of = {p.id: i for i, p in enumerate(projects)}
    vote_type = VoteType(group["vote_type"])
    ballots = []
    for vote, points, count in group["ballots"]:
        indices = tuple(index_of[i] for i in vote.split(",")) if vote else ()
        values = decode_points(points) if points else None
        ballots.append(TallyBallot(indices, values, count))
    max_ranks = group.get("ballot_parameters", {}).get("max_ranks")
    return Election(
        budget=group["budget"],
        projects=projects,
        vote_type=vote_type,
        ballots=tuple(ballots),
        ordinal_max_length=max_ranks if vote_type is VoteType.ORDINAL else None,
    )


def recount_group(group: dict) -> TallyResult:
    """Count a snapshot's group again from its own ballots, with its own rule and tie-break."""
    election = election_from_snapshot(group)
    tie_break = TieBreak(
        tuple(TieBreakCriterion(c) for c in group["tie_break"]), group.get("lottery_seed")
    )
    return tally_with(
        election,
        group["rule"],
        RuleOptions(
            tie_break=tie_break,
            threshold=group.get("threshold"),
            withdrawn=tuple(group.get("withdrawn", ())),
            reserve_share=snapshot_reserve_share(group),
            exclusive=tuple((a, b) for a, b in group.get("exclusive", ())),
        ),
    )


def snapshot_reserve_share(group: dict) -> Fraction | None:
    value = group.get("reserve_share")
    if value is None:
        return None
    return Fraction(decode_number(value))
