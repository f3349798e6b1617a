"""What goes on paper: the sheets of an edition per district, and the protocol of a count.

HTML templates are rendered in the edition's language and turned into PDF by WeasyPrint. The audit
head printed on the protocol is the hash of the latest entry of the audit log at printing time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from pb.accounts.models import User
from pb.audit.models import AuditEntry
from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.editions.districts import District
from pb.editions.models import Category, Edition, IdScheme
from pb.proposals.models import Proposal, ProposalStatus
from pb.results import counting as results
from pb.results.models import Result
from pb.voting.models import Participation


def edition_locale(edition: Edition) -> str:
    """The language the edition is run in: Polish for PESEL cities, else the site's default."""
    if edition.id_scheme == IdScheme.PESEL:
        return "pl"
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "cs")


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads pango only when a PDF is made

    return HTML(string=html, base_url=current_app.root_path).write_pdf()


@dataclass(frozen=True)
class Sheet:
    category: Category
    proposals: list[Proposal]


def sheets_for(edition: Edition, district: District | None) -> list[Sheet]:
    """The groups a voter of `district` votes in (city-wide ones and the district's own), each with
    its eligible projects by number."""
    sheets = []
    for category in edition.categories:
        if category.district_id is not None and (
            district is None or category.district_id != district.id
        ):
            continue
        proposals = list(
            db.session.scalars(
                select(Proposal)
                .where(
                    Proposal.category_id == category.id,
                    Proposal.status == ProposalStatus.ELIGIBLE,
                )
                .order_by(Proposal.number)
            )
        )
        sheets.append(Sheet(category, proposals))
    return sheets


def ballot_pdf(edition: Edition, district: District | None, now: datetime) -> bytes:
    with force_locale(edition_locale(edition)):
        sheets = sheets_for(edition, district)
        if not any(s.proposals for s in sheets):
            raise NotFound(_("This edition has no projects on the ballot yet."))
        html = render_template(
            "paperkit/ballot.html", edition=edition, district=district, sheets=sheets, now=now
        )
    return to_pdf(html)


def audit_head() -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def channel_totals(edition: Edition) -> dict[str, int]:
    rows = db.session.execute(
        select(Participation.channel, func.count())
        .where(Participation.edition_id == edition.id)
        .group_by(Participation.channel)
    )
    return {channel.value: count for channel, count in rows}


def protocol_result(edition: Edition) -> Result:
    """The count the commission signs: the one in force, else the one waiting for approval."""
    found = results.published_result(edition) or results.pending_result(edition)
    if found is None:
        raise NotFound(_("The votes of this edition have not been counted yet."))
    return found


def protocol_pdf(edition: Edition, now: datetime) -> bytes:
    result = protocol_result(edition)
    snapshot = json.loads(result.snapshot)
    approvals = [
        (db.session.get(User, a.approver_id), a)
        for a in sorted(results.valid_approvals(result), key=lambda a: a.approved_at)
    ]
    with force_locale(edition_locale(edition)):
        html = render_template(
            "paperkit/protocol.html",
            edition=edition,
            result=result,
            groups=snapshot["groups"],
            channels=channel_totals(edition),
            head=audit_head(),
            approvals=approvals,
            counted_by=db.session.get(User, result.counted_by_id),
            now=now,
        )
    return to_pdf(html)
