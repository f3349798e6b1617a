"""Admins configure an edition: settings and schedule, project groups, eligibility criteria.

Each change is checked here with a message at the field at fault (the database's CHECK constraints
stand behind these checks, never in front of them) and written to the audit log with the values
before and after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Self

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pb.accounts.models import Role, User
from pb.accounts.operations import require_role
from pb.audit import chain as audit
from pb.audit.models import AuditAnchor, AuditEntry
from pb.core.errors import Conflict, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.i18n import format_money
from pb.core.text_input import bounded_text, required_text
from pb.core.timefmt import format_deadline
from pb.editions.districts import District
from pb.editions.models import (
    DEFAULT_RESERVE_PERCENT,
    FREE_AFTER_VOTING_OPENS,
    BallotRule,
    Category,
    Criterion,
    Edition,
    EligibilityPolicy,
    IdScheme,
    Phase,
    TallyRule,
    parse_rank_points,
)
from pb.proposals.models import CriterionCheck, Proposal
from pb.tally.ballot_rules import BallotLimits

MAX_MONEY = 2_000_000_000  # fits a 32-bit INTEGER column on every database
MAX_SUPPORTS = 1_000_000
AUDIT_PAGE_SIZE = 50

SCHEDULE_FIELDS = (
    "submission_starts_at",
    "submission_ends_at",
    "review_starts_at",
    "review_ends_at",
    "appeal_starts_at",
    "appeal_ends_at",
    "voting_starts_at",
    "voting_ends_at",
)
SHIFTABLE = (Phase.SUBMISSION, Phase.REVIEW, Phase.APPEAL, Phase.VOTING)


def _json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _snapshot(obj: object, names: tuple[str, ...]) -> dict[str, object]:
    return {name: _json(getattr(obj, name)) for name in names}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def _record(
    actor: User,
    subject: audit.Audited,
    verb: str,
    before: dict | None,
    after: dict | None,
    now: datetime,
) -> None:
    """Audit `verb` done to an edition or one of its parts: the entry's action is `type.verb`."""
    audit.record(
        actor, f"{subject.audit_type}.{verb}", subject, before=before, after=after, now=now
    )


def _record_saved(
    actor: User,
    subject: audit.Audited,
    before: dict | None,
    after: dict,
    now: datetime,
    created: dict | None = None,
) -> None:
    """Audit a create (the whole record, plus `created`) or an update (only what changed; an
    update that changed nothing leaves no entry)."""
    if before is None:
        _record(actor, subject, "create", None, {**after, **(created or {})}, now)
        return
    old, new = _diff(before, after)
    if new:
        _record(actor, subject, "update", old, new, now)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def get_edition(slug: str) -> Edition:
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise NotFound(_("There is no such edition."))
    return edition


def lock_edition(edition: Edition) -> Edition:
    """The edition and its groups read afresh, its row locked until the transaction ends (FOR
    UPDATE on PostgreSQL): every change of an edition's rules starts here, so two admins' changes
    take turns and each is checked against what the other saved, not against what its request
    read before (two schedule moves, or two groups sharing the budget, both went through)."""
    return db.session.execute(
        select(Edition)
        .where(Edition.id == edition.id)
        .options(selectinload(Edition.categories))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


# --- the edition -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NamedInput:
    """What the admin names in the city's language and in English: an edition, a project group."""

    name: str
    name_en: str | None = None
    description: str = ""
    description_en: str | None = None

    @classmethod
    def of(cls, saved: object) -> Self:
        """The values as `saved` (the model) holds them: what its admin page starts from."""
        return cls(**{name: getattr(saved, name) for name in cls.field_names()})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, kw_only=True)
class EditionSettings(NamedInput):
    total_budget: int
    submission_starts_at: datetime
    submission_ends_at: datetime
    review_starts_at: datetime
    review_ends_at: datetime
    appeal_starts_at: datetime
    appeal_ends_at: datetime
    voting_starts_at: datetime
    voting_ends_at: datetime
    required_supports: int = 0
    min_voter_age: int | None = None
    eligibility_policy: EligibilityPolicy = EligibilityPolicy.DECLARATION
    id_scheme: IdScheme = IdScheme.RODNE_CISLO
    accept_eid: bool = False


EDITION_FIELDS = EditionSettings.field_names()

SCHEDULE_RULES = (
    # (earlier, later, strictly before?, what to say at the later field when it is broken)
    (
        "submission_starts_at",
        "submission_ends_at",
        True,
        _l("Submission must end after it starts."),
    ),
    (
        "submission_ends_at",
        "review_starts_at",
        False,
        _l("The review cannot start before submission ends."),
    ),
    ("review_starts_at", "review_ends_at", True, _l("The review must end after it starts.")),
    (
        "review_ends_at",
        "appeal_starts_at",
        False,
        _l("Appeals cannot start before the review ends."),
    ),
    ("appeal_starts_at", "appeal_ends_at", True, _l("Appeals must end after they start.")),
    ("appeal_ends_at", "voting_starts_at", False, _l("Voting cannot start before appeals end.")),
    ("voting_starts_at", "voting_ends_at", True, _l("Voting must end after it starts.")),
)


def _check_schedule(values: dict[str, datetime]) -> None:
    for name in SCHEDULE_FIELDS:
        if values.get(name) is None:
            raise InvalidInput(_("Give the date and time."), field=name)
    for earlier, later, strict, broken in SCHEDULE_RULES:
        a, b = values[earlier], values[later]
        if (strict and not a < b) or (not strict and not a <= b):
            raise InvalidInput(str(broken), field=later)


def _groups_budget(edition: Edition, leaving_out: Category | None = None) -> int:
    return sum(c.budget for c in edition.categories if c is not leaving_out)


def update_edition(
    actor: User | None, edition: Edition, settings: EditionSettings, now: datetime
) -> Edition:
    actor = require_role(actor, Role.ADMIN)
    edition = lock_edition(edition)
    settings = _keeping_seconds(edition, settings)
    before = _snapshot(edition, EDITION_FIELDS)
    edition.assert_settings_change_allowed(_changed(edition, settings), now)
    _apply_settings(edition, settings)
    _flush_or_refuse(_("These settings break a rule of the edition; check the schedule."))
    _record_saved(actor, edition, before, _snapshot(edition, EDITION_FIELDS), now)
    return edition


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
RESERVED_SLUGS = frozenset({"new"})  # /admin/editions/new is the page that creates one


def create_edition(
    actor: User | None, slug: str, settings: EditionSettings, timezone: str, now: datetime
) -> Edition:
    """A new edition with its settings and schedule; its groups and criteria come next."""
    actor = require_role(actor, Role.ADMIN)
    slug = _clean(slug).lower()
    if not (3 <= len(slug) <= 80 and SLUG.fullmatch(slug)) or slug in RESERVED_SLUGS:
        raise InvalidInput(
            _(
                "Use 3 to 80 small letters without accents, digits and single hyphens, "
                "e.g. liberec-2027."
            ),
            field="slug",
        )
    if db.session.scalar(select(Edition.id).where(Edition.slug == slug)) is not None:
        raise Conflict(_("Another edition already has this address."), field="slug")
    edition = Edition(slug=slug, timezone=timezone)
    _apply_settings(edition, settings)
    db.session.add(edition)
    _flush_or_refuse(_("Another edition already has this address."), field="slug")
    after = _snapshot(edition, EDITION_FIELDS)
    _record_saved(actor, edition, None, after, now, created={"slug": slug})
    return edition


def _keeping_seconds(edition: Edition, settings: EditionSettings) -> EditionSettings:
    """The form edits the schedule to the minute, and "start this phase now" sets it to the
    second: a date the form leaves at its minute keeps its seconds (saving the page as shown
    changed every date, and during voting a corrected name was refused as a move of the schedule)."""
    kept = {
        name: getattr(edition, name)
        for name in SCHEDULE_FIELDS
        if getattr(edition, name).replace(second=0, microsecond=0)
        == getattr(settings, name).replace(second=0, microsecond=0)
    }
    return replace(settings, **kept)


def _comparable(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, str):
        return value.strip() or None
    return _json(value)


def _changed(saved: object, data: NamedInput) -> list[str]:
    """The fields `data` would change on `saved` (an edition, a group), in form order: the first
    frozen one is the one a refusal names."""
    return [
        name
        for name in data.field_names()
        if _comparable(getattr(saved, name)) != _comparable(getattr(data, name))
    ]


def _apply_settings(edition: Edition, settings: EditionSettings) -> None:
    """Check the settings against each other and the edition's groups, then set them."""
    name = required_text(settings.name, "name", 200)
    name_en = bounded_text(settings.name_en, "name_en", 200) or None
    description = bounded_text(settings.description, "description", 20_000)
    description_en = bounded_text(settings.description_en, "description_en", 20_000) or None
    if not (0 < settings.total_budget <= MAX_MONEY):
        raise InvalidInput(_("The total budget must be above zero."), field="total_budget")
    groups = _groups_budget(edition)
    if settings.total_budget < groups:
        raise InvalidInput(
            _(
                "The project groups already share %(groups)s; the total budget cannot be smaller.",
                groups=format_money(groups, edition.currency),
            ),
            field="total_budget",
        )
    if not (0 <= settings.required_supports <= MAX_SUPPORTS):
        raise InvalidInput(
            _("The number of supports must be zero or more."), field="required_supports"
        )
    if settings.min_voter_age is not None and not (0 <= settings.min_voter_age <= 110):
        raise InvalidInput(_("The minimum age lies between 0 and 110."), field="min_voter_age")
    schedule = {name: getattr(settings, name) for name in SCHEDULE_FIELDS}
    _check_schedule(schedule)
    if edition.results_published_at is not None and schedule["voting_ends_at"] > (
        edition.results_published_at
    ):
        raise InvalidInput(
            _(
                "Results were published on %(day)s; voting cannot end after that.",
                day=format_deadline(edition.results_published_at),
            ),
            field="voting_ends_at",
        )
    edition.name, edition.name_en = name, name_en
    edition.description, edition.description_en = description, description_en
    edition.total_budget = settings.total_budget
    edition.required_supports = settings.required_supports
    edition.min_voter_age = settings.min_voter_age
    edition.eligibility_policy = settings.eligibility_policy
    edition.id_scheme = settings.id_scheme
    edition.accept_eid = settings.accept_eid
    for field_name, value in schedule.items():
        setattr(edition, field_name, value.replace(microsecond=0))


def shift_schedule(actor: User | None, edition: Edition, phase: Phase, now: datetime) -> Edition:
    """Move the whole schedule, keeping every window's length, so that `phase` starts now."""
    actor = require_role(actor, Role.ADMIN)
    if phase not in SHIFTABLE:
        raise InvalidInput(_("Choose a phase of the schedule."), field="phase")
    edition = lock_edition(edition)
    edition.assert_schedule_movable(now)
    delta = now.replace(microsecond=0) - edition.window(phase).starts_at
    if delta == timedelta(0):
        return edition
    before = _snapshot(edition, SCHEDULE_FIELDS)
    for name in SCHEDULE_FIELDS:
        setattr(edition, name, getattr(edition, name) + delta)
    _flush_or_refuse(_("The schedule could not be moved."))
    after = {**_snapshot(edition, SCHEDULE_FIELDS), "phase_starts_now": phase.value}
    _record(actor, edition, "schedule_shift", before, after, now)
    anchor_phase(edition, "phase", now)
    return edition


MIN_EXTENSION_REASON = 20


def extend_voting(
    actor: User | None, edition: Edition, new_end: datetime | None, reason: str, now: datetime
) -> Edition:
    """The commission extends voting (never shortens it), while it is still open, with a public
    reason; the decision is in the audit log and the head is published."""
    actor = require_role(actor, Role.COMMISSION)
    edition = lock_edition(edition)
    if edition.count_started_at is not None or edition.results_published_at is not None:
        edition.assert_schedule_movable(now)  # names why: counted or published
    if not edition.accepts_ballots(now):
        raise PhaseClosed(
            _("Voting can be extended only while it is open; once it has ended it never reopens."),
            field="voting_ends_at",
        )
    if new_end is None or new_end.replace(microsecond=0) <= edition.voting_ends_at:
        raise InvalidInput(
            _(
                "Voting may only be extended: give a moment after %(end)s.",
                end=format_deadline(edition.voting_ends_at),
            ),
            field="voting_ends_at",
        )
    reason = bounded_text(reason, "reason", 2_000)
    if len(reason) < MIN_EXTENSION_REASON:
        raise InvalidInput(
            _(
                "Give the commission's public reason, in at least %(n)d characters.",
                n=MIN_EXTENSION_REASON,
            ),
            field="reason",
        )
    before = {"voting_ends_at": _json(edition.voting_ends_at)}
    edition.voting_ends_at = new_end.replace(microsecond=0)
    edition.voting_extension_reason = reason
    _flush_or_refuse(_("The schedule could not be moved."), field="voting_ends_at")
    after = {"voting_ends_at": _json(edition.voting_ends_at), "reason": reason}
    _record(actor, edition, "extend_voting", before, after, now)
    publish_head("voting_extended", now, edition_slug=edition.slug, phase=Phase.VOTING.value)
    return edition


def _flush_or_refuse(message: str, field: str | None = None) -> None:
    try:
        db.session.flush()
    except IntegrityError as error:  # a constraint the checks above did not foresee, or a race
        raise InvalidInput(message, field=field) from error


# --- project groups ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CategoryInput(NamedInput, BallotLimits):
    """What the admin sets on a group: its names, money, district and counting rule, and the
    ballot rule with its limits (declared once, on `BallotLimits`)."""

    budget: int
    max_project_cost: int
    min_project_cost: int = 0
    position: int = 0
    district_id: int | None = None
    ballot_rule: BallotRule = BallotRule.APPROVAL
    tally_rule: TallyRule = TallyRule.GREEDY
    score_threshold: int | None = None
    rank_points: str | None = None
    reserve_percent: int | None = None


CATEGORY_FIELDS = CategoryInput.field_names()


def _check_category(edition: Edition, data: CategoryInput, category: Category | None) -> None:
    required_text(data.name, "name", 200)
    bounded_text(data.name_en, "name_en", 200)
    if not (0 < data.budget <= MAX_MONEY):
        raise InvalidInput(_("The group's budget must be above zero."), field="budget")
    if not (0 <= data.min_project_cost <= MAX_MONEY):
        raise InvalidInput(_("The minimum cost must be zero or more."), field="min_project_cost")
    if data.max_project_cost < data.min_project_cost:
        raise InvalidInput(
            _("The maximum cost cannot be below the minimum cost."), field="max_project_cost"
        )
    if data.max_project_cost > data.budget:
        raise InvalidInput(
            _("A single project cannot cost more than the group's whole budget."),
            field="max_project_cost",
        )
    others = _groups_budget(edition, leaving_out=category)
    if others + data.budget > edition.total_budget:
        raise InvalidInput(
            _(
                "With this budget the groups would share more than the edition's total budget; "
                "at most %(left)s is left for this group.",
                left=format_money(max(0, edition.total_budget - others), edition.currency),
            ),
            field="budget",
        )
    if data.district_id is not None and db.session.get(District, data.district_id) is None:
        raise InvalidInput(_("Choose a district from the list."), field="district_id")
    _check_ballot_rule(data)


MAX_RANKS = 10
"""More ranks than this and the ballot stops being something a person fills in with care."""


def _rank_points_text(data: CategoryInput) -> str | None:
    """Ranked groups: the points by rank, checked and written "3,2,1" (None for other rules)."""
    if data.ballot_rule != BallotRule.RANKED:
        return None
    ranks = data.max_ranks
    if ranks is None or not 1 <= ranks <= MAX_RANKS:
        raise InvalidInput(
            _("Give the most projects a voter may rank (1 to %(n)d).", n=MAX_RANKS),
            field="max_ranks",
        )
    try:
        points = parse_rank_points(data.rank_points, ranks)
    except ValueError:
        points = ()
    if (
        len(points) != ranks
        or any(p < 0 for p in points)
        or points[0] < 1
        or any(later > earlier for earlier, later in zip(points, points[1:], strict=False))
    ):
        raise InvalidInput(
            ngettext(
                "Give %(num)d whole number of points, e.g. %(example)s: the first rank gets "
                "at least 1 point and no rank gets more than the one before it. Leave it "
                "empty for %(example)s.",
                "Give %(num)d whole numbers of points separated by commas, e.g. %(example)s: "
                "one for each rank, the first rank first; no rank gets more than the one before "
                "it. Leave it empty for %(example)s.",
                ranks,
                example=",".join(str(p) for p in range(ranks, 0, -1)),
            ),
            field="rank_points",
        )
    return ",".join(str(p) for p in points)


def _normalized(data: CategoryInput) -> CategoryInput:
    """What is stored: points by rank written out, the reserve share only where it counts."""
    reserve = None
    if data.tally_rule == TallyRule.GREEDY_CUSTOM:
        reserve = DEFAULT_RESERVE_PERCENT if data.reserve_percent is None else data.reserve_percent
    ranked = data.ballot_rule == BallotRule.RANKED
    return replace(
        data,
        rank_points=_rank_points_text(data),
        max_ranks=data.max_ranks if ranked else None,
        reserve_percent=reserve,
    )


def _positive(value: int | None, field: str, message: str) -> int:
    if value is None or value < 1:
        raise InvalidInput(message, field=field)
    return value


def _check_ballot_rule(data: CategoryInput) -> None:
    rule = data.ballot_rule
    if rule == BallotRule.APPROVAL:
        low = _positive(
            data.min_choices,
            "min_choices",
            _("Give the fewest projects a voter must mark (1 or more)."),
        )
        if data.max_choices is not None and data.max_choices < low:
            raise InvalidInput(
                _("The most projects a voter may mark cannot be below the fewest."),
                field="max_choices",
            )
    elif rule == BallotRule.CUMULATIVE:
        points = _positive(
            data.max_points, "max_points", _("Give the points a voter may spread (1 or more).")
        )
        per = data.max_points_per_project
        if per is not None and not (1 <= per <= points):
            raise InvalidInput(
                _("Points on one project lie between 1 and the points a voter may spread."),
                field="max_points_per_project",
            )
    elif rule == BallotRule.PLUS_MINUS:
        plus = _positive(
            data.plus_votes, "plus_votes", _("Give the plus votes a voter has (1 or more).")
        )
        if data.minus_votes is None or data.minus_votes < 0:
            raise InvalidInput(
                _("Give the minus votes a voter has (0 or more)."), field="minus_votes"
            )
        needed = data.minus_requires_plus
        if needed is None or not (0 <= needed <= plus):
            raise InvalidInput(
                _("The plus votes needed before a minus vote lie between 0 and the plus votes."),
                field="minus_requires_plus",
            )
    if rule == BallotRule.RANKED:
        _rank_points_text(data)
    tally = data.tally_rule
    reserve = data.reserve_percent
    if tally == TallyRule.GREEDY_CUSTOM and reserve is not None and not 1 <= reserve <= 100:
        raise InvalidInput(
            _(
                "The reserve share is a percentage from 1 to 100: how much of a project's "
                "cost must be left for the reserve to fund it (80 in Poznań)."
            ),
            field="reserve_percent",
        )
    if (tally == TallyRule.PLUS_MINUS) != (rule == BallotRule.PLUS_MINUS):
        raise InvalidInput(
            _("Plus-minus ballots are counted by the plus-minus rule, and only they are."),
            field="tally_rule",
        )
    if tally == TallyRule.GREEDY_THRESHOLD and (
        data.score_threshold is None or data.score_threshold < 0
    ):
        raise InvalidInput(
            _("Give the minimum score a project needs (0 or more)."), field="score_threshold"
        )


def _category_snapshot(category: Category) -> dict[str, object]:
    return _snapshot(category, CATEGORY_FIELDS)


def _require_before_voting(edition: Edition, now: datetime) -> Edition:
    """The edition locked and read afresh (`lock_edition`), if its groups may still change."""
    edition = lock_edition(edition)
    edition.assert_rules_open(_("The project groups"), now)
    return edition


def save_category(
    actor: User | None,
    edition: Edition,
    category: Category | None,
    data: CategoryInput,
    now: datetime,
) -> Category:
    """Create a group (`category` None) or change one; audited with the values before and after."""
    actor = require_role(actor, Role.ADMIN)
    edition = lock_edition(edition)
    if category is not None and category.edition_id != edition.id:
        raise NotFound(_("There is no such project group."))
    # Names and descriptions may still be corrected once voting has opened, as an edition's may.
    if category is None or set(_changed(category, data)) - FREE_AFTER_VOTING_OPENS:
        edition.assert_rules_open(_("The project groups"), now)
    _check_category(edition, data, category)
    data = _normalized(data)
    before = _category_snapshot(category) if category is not None else None
    target = category or Category(edition=edition)
    for name in CATEGORY_FIELDS:
        value = getattr(data, name)
        if isinstance(value, str):
            value = value.strip()
        setattr(target, name, value)
    target.name_en = target.name_en or None
    target.description_en = target.description_en or None
    if category is None:
        db.session.add(target)
    _flush_or_refuse(_("These values break a rule of project groups; check the costs and budget."))
    _record_saved(actor, target, before, _category_snapshot(target), now)
    return target


def delete_category(
    actor: User | None, edition: Edition, category: Category, now: datetime
) -> None:
    """Remove a group set up by mistake: only before voting and while no proposal is in it."""
    actor = require_role(actor, Role.ADMIN)
    edition = _require_before_voting(edition, now)
    proposals = db.session.scalar(
        select(func.count()).select_from(Proposal).where(Proposal.category_id == category.id)
    )
    if proposals:
        raise Conflict(
            ngettext(
                "%(num)d proposal is in this group; it can be changed but not removed.",
                "%(num)d proposals are in this group; it can be changed but not removed.",
                proposals,
            )
        )
    before = {**_category_snapshot(category), "edition": edition.slug}
    _delete_audited(actor, edition, category, "categories", before, now)


def get_category(edition: Edition, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.edition_id != edition.id:
        raise NotFound(_("There is no such project group."))
    return category


# --- criteria ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionInput:
    name: str
    name_en: str | None = None
    description: str = ""
    position: int = 0


CRITERION_FIELDS = ("name", "name_en", "description", "position")


def get_criterion(edition: Edition, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.edition_id != edition.id:
        raise NotFound(_("There is no such criterion."))
    return criterion


def save_criterion(
    actor: User | None,
    edition: Edition,
    criterion: Criterion | None,
    data: CriterionInput,
    now: datetime,
) -> Criterion:
    actor = require_role(actor, Role.ADMIN)
    name = required_text(data.name, "name", 200)
    name_en = bounded_text(data.name_en, "name_en", 200) or None
    description = bounded_text(data.description, "description", 5_000)
    if not (0 <= data.position <= 1000):
        raise InvalidInput(_("The order is a number from 0 to 1000."), field="position")
    duplicate = db.session.scalar(
        select(Criterion).where(
            Criterion.edition_id == edition.id,
            func.lower(Criterion.name) == name.lower(),
            Criterion.id != (criterion.id if criterion else -1),
        )
    )
    if duplicate is not None:
        raise Conflict(_("The edition already has a criterion of this name."), field="name")
    before = _snapshot(criterion, CRITERION_FIELDS) if criterion else None
    target = criterion or Criterion(edition_id=edition.id)
    target.name, target.name_en, target.description = name, name_en, description
    target.position = data.position
    if criterion is None:
        db.session.add(target)
    db.session.flush()
    db.session.refresh(edition, ["criteria"])
    after = _snapshot(target, CRITERION_FIELDS)
    _record_saved(actor, target, before, after, now, created={"edition": edition.slug})
    return target


def delete_criterion(
    actor: User | None, edition: Edition, criterion: Criterion, now: datetime
) -> None:
    actor = require_role(actor, Role.ADMIN)
    used = db.session.scalar(
        select(func.count())
        .select_from(CriterionCheck)
        .where(CriterionCheck.criterion_id == criterion.id)
    )
    if used:
        raise Conflict(
            _(
                "Proposals have already been reviewed against this criterion; it can be renamed "
                "but not removed."
            )
        )
    before = {**_snapshot(criterion, CRITERION_FIELDS), "edition": edition.slug}
    _delete_audited(actor, edition, criterion, "criteria", before, now)


def _delete_audited(
    actor: User,
    edition: Edition,
    target: Category | Criterion,
    collection: str,
    before: dict,
    now: datetime,
) -> None:
    """Delete a part of the edition and audit its last values."""
    gone = audit.Subject(target.audit_type, target.id)
    db.session.delete(target)
    db.session.flush()
    db.session.refresh(edition, [collection])
    _record(actor, gone, "delete", before, None, now)


# --- the audit log -----------------------------------------------------------------------------


def publishable_head(now: datetime) -> audit.Head:
    """The head anyone may see now. While an edition takes ballots, the published head stays where
    it stood when that voting opened: every paper check-in is an entry, and a newer head (its
    number, and the entries up to it) would let anyone count paper voters as they come. The
    entries written during voting are published with the first head after it ends."""
    voting_since = db.session.scalar(
        select(func.min(Edition.voting_starts_at)).where(
            Edition.voting_starts_at <= now, Edition.voting_ends_at > now
        )
    )
    return audit.current_head() if voting_since is None else audit.head_before(voting_since)


def publish_head(
    reason: str, now: datetime, *, edition_slug: str | None = None, phase: str | None = None
) -> AuditAnchor:
    """Anchor the head anyone may see now (`publishable_head`)."""
    return audit.anchor(
        reason, now, head=publishable_head(now), edition_slug=edition_slug, phase=phase
    )


def anchor_phase_changes(now: datetime) -> list:
    """The city's regular anchoring (cron): the head now, and for each edition whose phase
    changed since its last anchored phase (the clock passed a date), the head with the phase."""
    published = [publish_head("scheduled", now)]
    for edition in db.session.scalars(select(Edition).order_by(Edition.id)):
        phase = edition.phase_at(now).value
        last = audit.latest_phase_anchor(edition.slug)
        if last is None or last.phase != phase:
            published.append(publish_head("phase", now, edition_slug=edition.slug, phase=phase))
    return published


def anchor_phase(edition: Edition, reason: str, now: datetime) -> None:
    """Publish the head after a change of the edition's phase made by a person."""
    publish_head(reason, now, edition_slug=edition.slug, phase=edition.phase_at(now).value)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def audit_page(page: int) -> AuditPage:
    total = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(1, page), pages)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.id.desc())
            .offset((page - 1) * AUDIT_PAGE_SIZE)
            .limit(AUDIT_PAGE_SIZE)
        )
    )
    return AuditPage(entries, total, page, pages)
