"""The audit log as people read it: filtered, sorted and paged in the URL, each entry a sentence
(who did what to which thing) with its recorded details under translated names, never raw codes
or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.core.i18n import format_money, localized
from pb.core.timefmt import format_deadline
from pb.editions.models import Category, Criterion, Edition
from pb.proposals.models import Proposal, ReviewDecision
from pb.web.labels import (
    AUDIT_ACTION_LABELS,
    BALLOT_RULE_NAMES,
    PHASE_LABELS,
    STATUS_LABELS,
    TALLY_RULE_NAMES,
)
from pb.web.listing import PER_PAGE, Page, bounds

OBJECT_LABELS = {
    "edition": _l("Edition"),
    "category": _l("Project group"),
    "criterion": _l("Criterion"),
    "proposal": _l("Proposal"),
    "result": _l("Result"),
}

FIELD_LABELS = {
    "slug": _l("Address"),
    "name": _l("Name"),
    "name_en": _l("Name in English"),
    "description": _l("Description"),
    "description_en": _l("Description in English"),
    "total_budget": _l("Total budget"),
    "budget": _l("Budget"),
    "required_supports": _l("Supports needed for review"),
    "min_voter_age": _l("Minimum voting age"),
    "eligibility_policy": _l("Who may vote"),
    "id_scheme": _l("Identification of voters"),
    "submission_starts_at": _l("Submission starts"),
    "submission_ends_at": _l("Submission ends"),
    "review_starts_at": _l("Review starts"),
    "review_ends_at": _l("Review ends"),
    "appeal_starts_at": _l("Appeals start"),
    "appeal_ends_at": _l("Appeals end"),
    "voting_starts_at": _l("Voting starts"),
    "voting_ends_at": _l("Voting ends"),
    "phase_starts_now": _l("Phase started now"),
    "max_project_cost": _l("Highest project cost"),
    "min_project_cost": _l("Lowest project cost"),
    "position": _l("Order"),
    "district_id": _l("District"),
    "ballot_rule": _l("Ballot rule"),
    "tally_rule": _l("Counting rule"),
    "min_choices": _l("Fewest choices"),
    "max_choices": _l("Most choices"),
    "max_points": _l("Points to spread"),
    "max_points_per_project": _l("Most points for one project"),
    "plus_votes": _l("Plus votes"),
    "minus_votes": _l("Minus votes"),
    "minus_requires_plus": _l("Plus votes needed before a minus vote"),
    "score_threshold": _l("Minimum support"),
    "decision": _l("Decision"),
    "justification": _l("Justification"),
    "status": _l("Status"),
    "assignee": _l("Assigned to"),
    "assignee_id": _l("Assigned to"),
    "criterion": _l("Criterion"),
    "criterion_id": _l("Criterion"),
    "met": _l("Met"),
    "note": _l("Note"),
    "residents": _l("Residents in the register"),
    "file_sha256": _l("Fingerprint of the file (SHA-256)"),
    "polling_place": _l("Polling place"),
    "edition": _l("Edition"),
    "version": _l("Version"),
    "snapshot_sha256": _l("Fingerprint of the results (SHA-256)"),
    "correction_reason": _l("Reason for the correction"),
    "superseded_version": _l("Replaced version"),
    "ballots_mixed": _l("Ballots mixed before counting"),
    "approvals": _l("Approvals"),
    "approved_by": _l("Approved by"),
    "published_version": _l("Previously published version"),
}

DECISION_WORDS = {
    ReviewDecision.ELIGIBLE.value: _l("Eligible"),
    ReviewDecision.NEEDS_CHANGES.value: _l("Needs changes"),
    ReviewDecision.INELIGIBLE.value: _l("Not eligible"),
    "upheld": _l("Appeal upheld"),
    "rejected": _l("Appeal rejected"),
}

# Details recorded as a code: each code reads as its label.
CODE_WORDS = {
    "decision": DECISION_WORDS,
    "status": {status.value: label for status, label in STATUS_LABELS.items()},
    "phase_starts_now": {phase.value: label for phase, label in PHASE_LABELS.items()},
    "tally_rule": {rule.value: label for rule, label in TALLY_RULE_NAMES.items()},
    "ballot_rule": {rule.value: label for rule, label in BALLOT_RULE_NAMES.items()},
}

SORTS = ("-when", "when")


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = "-when"
    page: int = 1


@dataclass(frozen=True)
class Detail:
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    action: str
    subject: str
    details: list[Detail]


def action_label(code: str) -> str:
    label = AUDIT_ACTION_LABELS.get(code)
    return str(label) if label is not None else _("Other recorded action")


def _name(obj, field: str = "name") -> str:
    return localized(obj, field) if obj is not None else ""


# Things an entry names by their name (in the reader's language where the city gave one), and
# the phrase that names them.
NAMED_KINDS: dict[str, tuple[type[Edition | Category | Criterion], str]] = {
    Edition.audit_type: (Edition, _l("Edition “%(name)s”")),
    Category.audit_type: (Category, _l("Project group “%(name)s”")),
    Criterion.audit_type: (Criterion, _l("Criterion “%(name)s”")),
}


def subject(entry: AuditEntry) -> str:
    """Which thing the entry is about, as a phrase: „Participativní rozpočet 2026“ (edition)."""
    kind, ident = entry.object_type, entry.object_id
    number = int(ident) if str(ident).isdigit() else None
    named = NAMED_KINDS.get(kind)
    if named is not None and number:
        model, phrase = named
        found = db.session.get(model, number)
        if found is not None:
            return str(phrase) % {"name": _name(found)}
    if kind == "proposal" and number:
        proposal = db.session.get(Proposal, number)
        if proposal is not None and proposal.number is not None:
            return _("Proposal No. %(n)d “%(title)s”", n=proposal.number, title=proposal.title)
    if kind == "result" and number:
        from pb.results.models import Result

        result = db.session.get(Result, number)
        if result is not None:
            return _(
                "Results, version %(version)d, of “%(edition)s”",
                version=result.version,
                edition=_name(db.session.get(Edition, result.edition_id)),
            )
    label = OBJECT_LABELS.get(kind)
    if label is not None:
        return _("%(kind)s (record %(id)s, since removed)", kind=label, id=ident)
    return _("Record %(id)s", id=ident)


def _value(key: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_value(key, v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_field(k)}: {_value(k, v)}" for k, v in value.items())
    text = str(value)
    if key.endswith("_at"):
        try:
            return format_deadline(datetime.fromisoformat(text))
        except ValueError:
            return text
    if key in ("total_budget", "budget", "max_project_cost", "min_project_cost"):
        return format_money(int(value)) if isinstance(value, int) else text
    words = CODE_WORDS.get(key, {})
    if text in words:
        return str(words[text])
    if key == "edition":
        found = db.session.scalar(select(Edition).where(Edition.slug == text))
        if found is not None:
            return _name(found)
    return text


def _field(key: str) -> str:
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else _("Other detail")


def details(entry: AuditEntry) -> list[Detail]:
    def load(text: str) -> dict:
        try:
            value = json.loads(text or "null")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    before, after = load(entry.before), load(entry.after)
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        rows.append(
            Detail(
                _field(key),
                _value(key, before[key]) if key in before else None,
                _value(key, after[key]) if key in after else None,
            )
        )
    return rows


def _query(wanted: AuditFilter):
    query = select(AuditEntry)
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.actor:
        query = query.where(AuditEntry.actor_label == wanted.actor)
    if wanted.object_type:
        query = query.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id:
        query = query.where(AuditEntry.object_id == wanted.object_id)
    if wanted.since:
        query = query.where(
            AuditEntry.created_at >= datetime.combine(wanted.since, time.min, tzinfo=UTC)
        )
    if wanted.until:
        end = datetime.combine(wanted.until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(AuditEntry.created_at < end)
    return query


def audit_rows(wanted: AuditFilter) -> Page:
    query = _query(wanted)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page, pages = bounds(total, wanted.page)
    order = AuditEntry.id.asc() if wanted.sort == "when" else AuditEntry.id.desc()
    entries = db.session.scalars(
        query.order_by(order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)
    )
    rows = [AuditRow(e, action_label(e.action), subject(e), details(e)) for e in entries]
    return Page(rows, total, page, pages, PER_PAGE)


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """What the filters offer: the actions and people that occur in the log."""
    actions = db.session.scalars(select(AuditEntry.action).distinct())
    actors = db.session.scalars(select(AuditEntry.actor_label).distinct())
    kinds = db.session.scalars(select(AuditEntry.object_type).distinct())
    return {
        "action": sorted(((a, action_label(a)) for a in actions), key=lambda p: p[1]),
        "actor": sorted((a, a) for a in actors),
        "object_type": sorted(
            ((k, str(OBJECT_LABELS.get(k, _("Other")))) for k in kinds), key=lambda p: p[1]
        ),
    }


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def filter_from(args) -> AuditFilter:
    """The filter in the URL; anything malformed is ignored rather than refused."""
    from pb.web.listing import chosen, page_number

    def text(name: str, limit: int) -> str:
        return (args.get(name) or "").strip()[:limit]

    return AuditFilter(
        action=text("action", 60),
        actor=text("actor", 254),
        object_type=text("object_type", 40),
        object_id=text("object_id", 64),
        since=_day(args.get("since")),
        until=_day(args.get("until")),
        sort=chosen(args.get("sort"), SORTS, "-when"),
        page=page_number(args.get("page", "1")),
    )
