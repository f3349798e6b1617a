"""Residents' side of proposals: drafts, submission, edits, withdrawal, supports, and what is still open.

Every verb takes `now` and checks the edition's schedule itself. A draft may be incomplete; anything
submitted must be complete (a summary, a description, cost items whose total fits the group's
limits, the district a district group asks for, consent to publication). Refusals name the field
at fault and, when time is the reason, the deadline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from pb.accounts.models import User
from pb.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PhaseClosed
from pb.core.extensions import db
from pb.core.i18n import format_money, localized
from pb.core.timefmt import format_deadline
from pb.core.unit_of_work import rows_changed
from pb.editions.districts import District
from pb.editions.models import Category, Edition, Phase
from pb.proposals.engagement import Support
from pb.proposals.models import CostItem, Proposal, ProposalStatus, Review, ReviewDecision

MAX_COST_ITEMS = 30
MAX_AMOUNT = 1_000_000_000  # whole currency units; far above any group, far below INTEGER's limit
TITLE_MAX, SUMMARY_MAX, ADDRESS_MAX, ITEM_NAME_MAX = 200, 500, 300, 200
DESCRIPTION_MAX = 20_000


@dataclass(frozen=True)
class CostLine:
    name: str
    amount: int


@dataclass(frozen=True)
class ProposalInput:
    """What the author writes; the form's shape, already typed, not yet judged."""

    title: str
    category_id: int | None
    summary: str = ""
    description: str = ""
    district_id: int | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    cost_items: tuple[CostLine, ...] = ()
    consent_to_publication: bool = False

    @classmethod
    def from_proposal(cls, proposal: Proposal) -> ProposalInput:
        """What the author wrote: the proposal's columns of the same names, its cost rows as lines
        (a field added here is read from the proposal without another line to forget)."""
        written = {
            f.name: getattr(proposal, f.name)
            for f in dataclasses.fields(cls)
            if f.name != "cost_items"
        }
        lines = tuple(CostLine(i.name, i.amount) for i in proposal.cost_items)
        return cls(**written, cost_items=lines)


# --- reading -----------------------------------------------------------------------------------


def get_own_proposal(user: User, proposal_id: int) -> Proposal:
    """The author's own proposal, whatever its status; anyone else gets "not found"."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or user is None or proposal.author_id != getattr(user, "id", None):
        raise NotFound(_("There is no such proposal among yours."))
    return proposal


def my_proposals(user: User) -> list[Proposal]:
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.author_id == user.id)
            .options(
                selectinload(Proposal.cost_items),
                selectinload(Proposal.reviews),
                selectinload(Proposal.edition),
            )
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )


def support_counts(proposal_ids: Iterable[int]) -> dict[int, int]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Support.proposal_id, func.count())
        .where(Support.proposal_id.in_(ids))
        .group_by(Support.proposal_id)
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update(dict(rows))
    return counts


def support_count(proposal: Proposal) -> int:
    return support_counts([proposal.id])[proposal.id]


def has_supported(user: User | None, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    supports = db.session.execute(
        select(func.count())
        .select_from(Support)
        .where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    ).scalar_one()
    return supports > 0


def collects_supports(proposal: Proposal, now: datetime) -> bool:
    """Residents may give (or withdraw) a support now: the proposal is submitted and
    submission is open."""
    return proposal.status == ProposalStatus.SUBMITTED and proposal.edition.window_open(
        Phase.SUBMISSION, now
    )


def lacks_supports(proposal: Proposal, supports: int, now: datetime) -> bool:
    """Submitted, but short of the edition's required supports when submission closed: not reviewed."""
    edition = proposal.edition
    return (
        edition.required_supports > 0
        and proposal.status == ProposalStatus.SUBMITTED
        and now >= edition.submission_ends_at
        and supports < edition.required_supports
    )


def open_needs_changes_review(proposal: Proposal) -> Review | None:
    """The review asking for changes that the author has not yet answered."""
    review = proposal.latest_review
    if (
        proposal.status == ProposalStatus.NEEDS_CHANGES
        and review is not None
        and review.decision == ReviewDecision.NEEDS_CHANGES
        and review.resubmitted_at is None
    ):
        return review
    return None


@dataclass(frozen=True)
class AuthorOptions:
    """What the author may still do with a proposal, and until when."""

    can_edit: bool = False
    edit_until: datetime | None = None
    can_submit: bool = False
    can_withdraw: bool = False
    can_appeal: bool = False
    appeal_from: datetime | None = None
    appeal_until: datetime | None = None
    supports: int = 0
    supports_needed: int = 0
    lacks_supports: bool = False


def author_options(proposal: Proposal, now: datetime, supports: int | None = None) -> AuthorOptions:
    edition = proposal.edition
    supports = support_count(proposal) if supports is None else supports
    status = proposal.status
    submission_open = edition.window_open(Phase.SUBMISSION, now)
    fields: dict = dict(supports=supports, supports_needed=edition.required_supports)
    if status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED) and submission_open:
        fields.update(
            can_edit=True,
            edit_until=edition.submission_ends_at,
            can_submit=status == ProposalStatus.DRAFT,
            can_withdraw=True,
        )
    elif status == ProposalStatus.NEEDS_CHANGES:
        deadline = proposal.changes_deadline
        if deadline is not None and now < deadline:
            fields.update(can_edit=True, edit_until=deadline, can_submit=True, can_withdraw=True)
    elif (
        status == ProposalStatus.INELIGIBLE
        and proposal.appeal is None
        and now < edition.appeal_ends_at
    ):
        fields.update(
            can_appeal=edition.window_open(Phase.APPEAL, now),
            appeal_from=edition.appeal_starts_at,
            appeal_until=edition.appeal_ends_at,
        )
    fields["lacks_supports"] = lacks_supports(proposal, supports, now)
    return AuthorOptions(**fields)


# --- checks --------------------------------------------------------------------------------------


def _require_signed_in(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Please sign in to continue."))
    return user


def require_author(user: User | None, proposal: Proposal) -> User:
    user = _require_signed_in(user)
    if proposal.author_id != user.id:
        raise Forbidden(_("Only the author can change this proposal."))
    return user


def _submission_closed(edition: Edition, now: datetime) -> PhaseClosed:
    if now < edition.submission_starts_at:
        return PhaseClosed(
            _(
                "Proposals can be submitted from %(start)s until %(end)s.",
                start=format_deadline(edition.submission_starts_at),
                end=format_deadline(edition.submission_ends_at),
            )
        )
    return PhaseClosed(
        _(
            "The submission period ended on %(end)s; proposals can no longer be written, "
            "changed or withdrawn.",
            end=format_deadline(edition.submission_ends_at),
        )
    )


def _require_submission_open(edition: Edition, now: datetime) -> None:
    if not edition.window_open(Phase.SUBMISSION, now):
        raise _submission_closed(edition, now)


def require_editable(proposal: Proposal, now: datetime) -> None:
    """Drafts and submitted proposals until the submission deadline; a proposal the reviewers sent
    back until the deadline they set."""
    status = proposal.status
    if status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED):
        _require_submission_open(proposal.edition, now)
        return
    if status == ProposalStatus.NEEDS_CHANGES:
        deadline = proposal.changes_deadline
        if deadline is None or now >= deadline:
            raise PhaseClosed(
                _(
                    "The time for changes ended on %(deadline)s; the proposal is back with the reviewers.",
                    deadline=format_deadline(deadline),
                )
            )
        return
    if status == ProposalStatus.WITHDRAWN:
        raise Conflict(_("This proposal was withdrawn and can no longer be changed."))
    raise Conflict(_("This proposal has been reviewed and can no longer be changed."))


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _category(edition: Edition, category_id: int | None) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or category.edition_id != edition.id:
        raise InvalidInput(_("Choose the project group."), field="category")
    return category


class InvalidProposal(InvalidInput):
    """Every problem of a proposal at once, so the form can flag each field in one answer."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        field, message = problems[0]
        super().__init__(message, field=field)
        self.problems = problems


def _validate(edition: Edition, data: ProposalInput, *, complete: bool) -> Category:
    """Judge the input; `complete` adds what a submitted proposal must have."""
    problems = proposal_problems(edition, data, complete=complete)
    if problems:
        raise InvalidProposal(problems)
    return _category(edition, data.category_id)


def proposal_problems(
    edition: Edition, data: ProposalInput, *, complete: bool
) -> list[tuple[str, str]]:
    """Every (field, message) the input is refused for; empty when it may be saved."""
    found: list[tuple[str, str]] = []

    def problem(message: str, field: str) -> None:
        found.append((field, message))

    if not _clean(data.title):
        problem(_("Give the proposal a title."), field="title")
    if len(_clean(data.title)) > TITLE_MAX:
        problem(_("The title may have at most %(n)d characters.", n=TITLE_MAX), field="title")
    try:
        category: Category | None = _category(edition, data.category_id)
    except InvalidInput as error:
        problem(error.message, field="category")
        category = None
    for value, limit, name in (
        (data.summary, SUMMARY_MAX, "summary"),
        (data.description, DESCRIPTION_MAX, "description"),
        (data.address, ADDRESS_MAX, "address"),
    ):
        if len(_clean(value)) > limit:
            problem(_("At most %(n)d characters, please.", n=limit), field=name)
    district = db.session.get(District, data.district_id) if data.district_id else None
    if data.district_id and district is None:
        problem(_("Choose a district from the list."), field="district")
    # A district group's district; None for a group of the whole city.
    group_district = category.district if category is not None else None
    if group_district is not None and district is not None and district.id != group_district.id:
        problem(
            _(
                "The group “%(group)s” is only for %(district)s; choose that district or another group.",
                group=localized(category, "name"),
                district=group_district.name,
            ),
            field="district",
        )
    if (data.latitude is None) != (data.longitude is None):
        problem(_("Give both coordinates, latitude and longitude, or neither."), field="latitude")
    if data.latitude is not None and not (data.latitude.is_finite() and -90 <= data.latitude <= 90):
        problem(_("Latitude lies between -90 and 90."), field="latitude")
    if data.longitude is not None and not (
        data.longitude.is_finite() and -180 <= data.longitude <= 180
    ):
        problem(_("Longitude lies between -180 and 180."), field="longitude")
    if len(data.cost_items) > MAX_COST_ITEMS:
        problem(
            _("At most %(n)d cost items, please; group smaller ones.", n=MAX_COST_ITEMS),
            field="cost_items",
        )
    for position, line in enumerate(data.cost_items, start=1):
        if not _clean(line.name):
            problem(_("Cost item %(n)d has an amount but no name.", n=position), field="cost_items")
        if len(_clean(line.name)) > ITEM_NAME_MAX:
            problem(_("The name of cost item %(n)d is too long.", n=position), field="cost_items")
        if not (0 < line.amount <= MAX_AMOUNT):
            problem(
                _("Cost item %(n)d needs an amount above zero.", n=position), field="cost_items"
            )
    if not complete:
        return found
    if not _clean(data.summary):
        problem(_("Write a short summary of the proposal."), field="summary")
    if not _clean(data.description):
        problem(_("Describe the proposal."), field="description")
    if group_district is not None and district is None:
        problem(
            _(
                "The group “%(group)s” is only for %(district)s; choose the district.",
                group=localized(category, "name"),
                district=group_district.name,
            ),
            field="district",
        )
    if not data.cost_items:
        problem(_("Add at least one cost item with its name and amount."), field="cost_items")
    total = sum(line.amount for line in data.cost_items)
    low, high = (category.min_project_cost, category.max_project_cost) if category else (0, 0)
    if category is not None and data.cost_items and not (low <= total <= high):
        problem(
            _(
                "The total cost is %(total)s, but projects in the group “%(group)s” must cost "
                "from %(low)s to %(high)s.",
                total=format_money(total, edition.currency),
                group=localized(category, "name"),
                low=format_money(low, edition.currency),
                high=format_money(high, edition.currency),
            ),
            field="cost_items",
        )
    if not data.consent_to_publication:
        problem(
            _("Proposals are public: agree to the publication of your proposal to submit it."),
            field="consent_to_publication",
        )
    return found


COORDINATE_STEP = Decimal("0.000001")  # the columns' six places, about 10 cm


def _coordinate(value: Decimal | None) -> Decimal | None:
    """A checked coordinate at the columns' precision: PostgreSQL refuses a number written with
    a far exponent ("1e-999999", a 500 before this) instead of rounding it as it rounds the rest."""
    return None if value is None else value.quantize(COORDINATE_STEP)


def _apply(proposal: Proposal, category: Category, data: ProposalInput, now: datetime) -> None:
    proposal.title = _clean(data.title)
    proposal.category = category
    proposal.summary = _clean(data.summary)
    proposal.description = _clean(data.description)
    proposal.district_id = data.district_id or None
    proposal.address = _clean(data.address)
    proposal.latitude = _coordinate(data.latitude)
    proposal.longitude = _coordinate(data.longitude)
    proposal.consent_to_publication = bool(data.consent_to_publication)
    proposal.cost_items = [
        CostItem(position=i, name=_clean(line.name), amount=line.amount)
        for i, line in enumerate(data.cost_items)
    ]
    proposal.updated_at = now


# --- verbs ---------------------------------------------------------------------------------------


def create_draft(
    user: User | None,
    edition: Edition,
    data: ProposalInput,
    now: datetime,
    creation_key: str | None = None,
    submit: bool = False,
) -> Proposal:
    """A new draft, submitted at once when `submit`. The same form sent twice (same
    `creation_key`) gives back what the first one made."""
    user = _require_signed_in(user)
    if creation_key:
        existing = db.session.scalar(select(Proposal).where(Proposal.creation_key == creation_key))
        if existing is not None:
            if existing.author_id != user.id:
                raise Conflict(_("This form has expired; please open it again."))
            return existing
    _require_submission_open(edition, now)
    category = _validate(edition, data, complete=False)
    proposal = Proposal(
        edition=edition,
        author=user,
        status=ProposalStatus.DRAFT,
        created_at=now,
        creation_key=creation_key or None,
    )
    _apply(proposal, category, data, now)
    db.session.add(proposal)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same form sent twice at the very same moment
        raise Conflict(_("This proposal has already been saved."), field="title") from error
    if submit:
        submit_proposal(user, proposal, now)
    return proposal


def update_proposal(
    user: User | None,
    proposal: Proposal,
    data: ProposalInput,
    now: datetime,
    submit: bool = False,
) -> Proposal:
    """Save the author's changes; with `submit`, also submit a draft or send back a proposal the
    reviewers asked to change."""
    user = require_author(user, proposal)
    lock(proposal)
    require_editable(proposal, now)
    complete = proposal.status != ProposalStatus.DRAFT
    category = _validate(proposal.edition, data, complete=complete or submit)
    _apply(proposal, category, data, now)
    db.session.flush()
    if submit and proposal.status != ProposalStatus.SUBMITTED:
        submit_proposal(user, proposal, now)
    return proposal


def submit_proposal(user: User | None, proposal: Proposal, now: datetime) -> Proposal:
    """A draft becomes a numbered public proposal; a proposal sent back for changes returns to review."""
    require_author(user, proposal)
    lock(proposal)
    if proposal.status == ProposalStatus.SUBMITTED:
        raise Conflict(
            _("This proposal has already been submitted as No. %(n)d.", n=proposal.number)
        )
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.NEEDS_CHANGES):
        raise Conflict(_("This proposal can no longer be submitted."))
    require_editable(proposal, now)
    _validate(proposal.edition, ProposalInput.from_proposal(proposal), complete=True)
    if proposal.status == ProposalStatus.NEEDS_CHANGES:
        review = open_needs_changes_review(proposal)
        if review is not None:
            review.resubmitted_at = now
        proposal.move_to(ProposalStatus.SUBMITTED)
        proposal.changes_deadline = None
        proposal.updated_at = now
        db.session.flush()
        return proposal
    proposal.move_to(ProposalStatus.SUBMITTED)
    proposal.submitted_at = now
    proposal.updated_at = now
    db.session.flush()
    _assign_number(proposal)
    return proposal


def _assign_number(proposal: Proposal) -> None:
    """The next number of the edition, in one statement.

    On PostgreSQL the edition's row is locked first, so concurrent submissions take turns and each
    statement sees the number the one before it committed; SQLite runs one writer at a time. The
    unique (edition, number) constraint is the last word either way.
    """
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(
            select(Edition.id).where(Edition.id == proposal.edition_id).with_for_update()
        )
    others = (
        select(func.coalesce(func.max(Proposal.number), 0) + 1)
        .where(Proposal.edition_id == proposal.edition_id)
        .scalar_subquery()
    )
    try:
        db.session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(number=others)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError as error:
        raise Conflict(
            _("Another proposal was being numbered at the same moment; please submit again.")
        ) from error
    db.session.refresh(proposal, ["number"])


def withdraw_proposal(user: User | None, proposal: Proposal, now: datetime) -> Proposal:
    require_author(user, proposal)
    lock(proposal)
    if proposal.status == ProposalStatus.WITHDRAWN:
        raise Conflict(_("This proposal has already been withdrawn."))
    if proposal.status not in (
        ProposalStatus.DRAFT,
        ProposalStatus.SUBMITTED,
        ProposalStatus.NEEDS_CHANGES,
    ):
        raise Conflict(_("A reviewed proposal can no longer be withdrawn."))
    require_editable(proposal, now)
    proposal.move_to(ProposalStatus.WITHDRAWN)
    proposal.changes_deadline = None
    proposal.updated_at = now
    db.session.flush()
    return proposal


def support_proposal(user: User | None, proposal: Proposal, now: datetime) -> Support:
    user = _require_signed_in(user)
    edition = proposal.edition
    if proposal.status != ProposalStatus.SUBMITTED or proposal.number is None:
        raise Conflict(_("Only submitted proposals can be supported."))
    if not edition.window_open(Phase.SUBMISSION, now):
        raise PhaseClosed(
            _(
                "Proposals could be supported until the end of submission, %(end)s.",
                end=format_deadline(edition.submission_ends_at),
            )
        )
    if proposal.author_id == user.id:
        raise Forbidden(_("Authors cannot support their own proposals."))
    if has_supported(user, proposal):
        raise Conflict(_("You already support this proposal; each person supports it once."))
    support = Support(proposal_id=proposal.id, user_id=user.id, created_at=now)
    db.session.add(support)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same button pressed twice at once: the constraint decides
        raise Conflict(
            _("You already support this proposal; each person supports it once.")
        ) from error
    return support


def withdraw_support(user: User | None, proposal: Proposal, now: datetime) -> None:
    """A resident takes their support back while supports are still collected."""
    user = _require_signed_in(user)
    edition = proposal.edition
    if not edition.window_open(Phase.SUBMISSION, now):
        raise PhaseClosed(
            _(
                "Supports could be withdrawn until the end of submission, %(end)s.",
                end=format_deadline(edition.submission_ends_at),
            )
        )
    withdrawn = rows_changed(
        delete(Support).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    )
    if not withdrawn:
        raise Conflict(_("You do not support this proposal, so there is nothing to withdraw."))


def lock(proposal: Proposal) -> None:
    """On PostgreSQL, hold the proposal's row until commit so that two changes cannot interleave."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
        db.session.refresh(proposal, ["status", "changes_deadline"])


def districts() -> Sequence[District]:
    return list(db.session.scalars(select(District).order_by(District.name)))
