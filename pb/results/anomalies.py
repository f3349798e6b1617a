"""The anomaly report the commission reads before it approves a count.

It looks only at participations (that someone voted, when, on which channel, from which coarse
network bucket, of which birth year and district), at refused attempts and at the audit entries
of paper ballots, never at what anyone voted. It is for the commission: it has no small-cell
merging, and it is shown only once voting has ended.

Paper ballots: the polling place is not kept with the participation; the voting service writes
it to the audit log (`paper.check_in`, object: the edition, after: {"polling_place": ...}),
and this report reads it from there.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.editions.models import Edition, EligibilityPolicy
from pb.results.turnout import AgeBands, registry_by_band
from pb.voting.ballot_box import ballot_box
from pb.voting.models import (
    Ballot,
    Channel,
    Envelope,
    Participation,
    RefusedAttempt,
    VoterRegistryEntry,
)

BURST_WINDOW = timedelta(minutes=10)
BURST_MIN = 10
"""A burst: at least BURST_MIN participations from one network bucket within BURST_WINDOW."""

PAPER_ACTION = "paper.check_in"
SHEETS_ACTION = "paper.sheets_enter"
# Refusals of one account verifying as a second person, or a person through a second account.
ACCOUNT_BINDING_REASONS = ("account_other_person", "person_other_account")
MAX_AGE = 110


@dataclass(frozen=True)
class DayRow:
    day: date
    online: int
    paper: int

    @property
    def total(self) -> int:
        return self.online + self.paper


@dataclass(frozen=True)
class AgeRow:
    band: str
    voters: int
    voters_share: float
    registry: int | None
    registry_share: float | None

    @property
    def turnout(self) -> float | None:
        if not self.registry:
            return None
        return self.voters / self.registry


@dataclass(frozen=True)
class Burst:
    bucket: str
    starts_at: datetime
    ends_at: datetime
    participations: int
    bucket_total: int


@dataclass(frozen=True)
class Finding:
    """Something the commission should look at; `kind` picks the sentence in the page."""

    kind: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnomalyReport:
    timezone: str
    participations: int
    ballots: int
    registry: int
    by_day: list[DayRow]
    by_hour: list[tuple[int, int, int]]  # hour of the day (local), online, paper
    busiest_hours: list[tuple[datetime, int]]
    by_channel: list[tuple[str, int]]
    polling_places: list[tuple[str, int]]
    paper_entries_logged: int
    age: list[AgeRow]
    age_unknown: int
    ages_out_of_range: int
    bursts: list[Burst]
    top_networks: list[tuple[str, int]]
    online_without_network: int
    refused: list[tuple[str, str, int]]  # reason, channel, count
    outside_window: int
    findings: list[Finding]

    @property
    def refused_total(self) -> int:
        return sum(count for _reason, _channel, count in self.refused)

    @property
    def busiest_day(self) -> int:
        return max((row.total for row in self.by_day), default=0)

    @property
    def busiest_hour_of_day(self) -> int:
        return max((online + paper for _h, online, paper in self.by_hour), default=0)


def find_bursts(
    events: dict[str, list[datetime]], window: timedelta = BURST_WINDOW, minimum: int = BURST_MIN
) -> list[Burst]:
    """Per bucket, the stretches in which `minimum` or more participations fall within `window`.

    Overlapping windows of one bucket are joined into one burst, counted once.
    """
    bursts = []
    for bucket, times in events.items():
        times = sorted(times)
        spans: list[tuple[int, int]] = []
        end = 0
        for start in range(len(times)):
            end = max(end, start)
            while end + 1 < len(times) and times[end + 1] - times[start] < window:
                end += 1
            if end - start + 1 >= minimum:
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], end)
                else:
                    spans.append((start, end))
        for first, last in spans:
            bursts.append(Burst(bucket, times[first], times[last], last - first + 1, len(times)))
    bursts.sort(key=lambda b: (-b.participations, b.starts_at))
    return bursts


def anomaly_report(edition: Edition) -> AnomalyReport:
    zone = ZoneInfo(edition.timezone)
    ages = AgeBands.of(edition)
    rows = db.session.execute(
        select(
            Participation.channel,
            Participation.voted_at,
            Participation.birth_year,
            Participation.network_bucket,
        ).where(Participation.edition_id == edition.id)
    ).all()
    ballots = (
        db.session.execute(
            select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        ).scalar_one()
        + db.session.execute(  # still sealed, before the box is opened
            select(func.count()).select_from(Envelope).where(Envelope.edition_id == edition.id)
        ).scalar_one()
    )

    days: dict[date, Counter] = defaultdict(Counter)
    hours: dict[int, Counter] = defaultdict(Counter)
    day_hours: Counter[datetime] = Counter()
    channels: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    age_unknown = ages_out_of_range = outside_window = online_without_network = 0
    networks: dict[str, list[datetime]] = defaultdict(list)
    for channel, voted_at, birth_year, bucket in rows:
        local = voted_at.astimezone(zone)
        days[local.date()][channel.value] += 1
        hours[local.hour][channel.value] += 1
        day_hours[local.replace(minute=0, second=0, microsecond=0)] += 1
        channels[channel.value] += 1
        if not edition.voting_starts_at <= voted_at < edition.voting_ends_at:
            outside_window += 1
        if birth_year is None:
            age_unknown += 1
        else:
            age = ages.age(birth_year)
            if age < ages.min_age or age > MAX_AGE:
                ages_out_of_range += 1
            bands[ages.key(birth_year)] += 1
        if channel == Channel.ONLINE:
            if bucket:
                networks[bucket].append(voted_at)
            else:
                online_without_network += 1

    registry_bands = registry_by_band(edition)
    registry_total = sum(registry_bands.values())
    known_ages = sum(bands.values())
    age_rows = [
        AgeRow(
            band,
            bands.get(band, 0),
            bands.get(band, 0) / known_ages if known_ages else 0.0,
            registry_bands.get(band, 0) if registry_total else None,
            registry_bands.get(band, 0) / registry_total if registry_total else None,
        )
        for band in ages.all_keys()
    ]

    places: Counter[str] = Counter()
    logged = 0
    for (after,) in db.session.execute(
        select(AuditEntry.after).where(
            AuditEntry.action == PAPER_ACTION,
            AuditEntry.object_type == "edition",
            AuditEntry.object_id == str(edition.id),
        )
    ):
        logged += 1
        try:
            place = (json.loads(after) or {}).get("polling_place") or ""
        except (ValueError, AttributeError):
            place = ""
        places[place.strip()] += 1

    # The box counts the sheets entered; the audit log only those of batches an official closed.
    box = ballot_box(edition.id)
    sheets_entered = box.paper_sheets if box is not None else None
    sheets_attributed = sum(
        json.loads(after)["sheets"]
        for after in db.session.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == SHEETS_ACTION,
                AuditEntry.object_type == "edition",
                AuditEntry.object_id == str(edition.id),
            )
        )
    )

    refused = [
        (reason, channel.value, count)
        for reason, channel, count in db.session.execute(
            select(RefusedAttempt.reason, RefusedAttempt.channel, func.count())
            .where(RefusedAttempt.edition_id == edition.id)
            .group_by(RefusedAttempt.reason, RefusedAttempt.channel)
        )
    ]
    refused.sort(key=lambda r: (-r[2], r[0], r[1]))

    bursts = find_bursts(networks)
    top_networks = sorted(
        ((bucket, len(times)) for bucket, times in networks.items()), key=lambda kv: (-kv[1], kv[0])
    )[:5]

    findings = []
    if ballots != len(rows):
        findings.append(
            Finding("ballots_differ", {"ballots": ballots, "participations": len(rows)})
        )
    if outside_window:
        findings.append(Finding("outside_window", {"n": outside_window}))
    if channels.get(Channel.PAPER.value, 0) != logged:
        findings.append(
            Finding(
                "paper_unlogged",
                {"paper": channels.get(Channel.PAPER.value, 0), "logged": logged},
            )
        )
    if sheets_entered is not None and sheets_entered != sheets_attributed:
        findings.append(
            Finding(
                "sheets_unattributed",
                {"entered": sheets_entered, "attributed": sheets_attributed},
            )
        )
    if bursts:
        findings.append(
            Finding(
                "bursts",
                {"n": len(bursts), "minimum": BURST_MIN, "minutes": BURST_WINDOW.seconds // 60},
            )
        )
    if ages_out_of_range:
        findings.append(Finding("ages_out_of_range", {"n": ages_out_of_range}))
    account_refusals = sum(
        count for reason, _channel, count in refused if reason in ACCOUNT_BINDING_REASONS
    )
    if account_refusals:
        findings.append(Finding("other_account", {"n": account_refusals}))
    if edition.eligibility_policy == EligibilityPolicy.DECLARATION and registry_total:
        # Declared identities checked afterwards against the register the city imported.
        undeclared = db.session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(
                Participation.edition_id == edition.id,
                ~select(VoterRegistryEntry.id)
                .where(
                    VoterRegistryEntry.edition_id == edition.id,
                    VoterRegistryEntry.voter_key == Participation.voter_key,
                )
                .exists(),
            )
        )
        if undeclared:
            findings.append(Finding("declared_not_in_registry", {"n": undeclared}))

    return AnomalyReport(
        timezone=edition.timezone,
        participations=len(rows),
        ballots=ballots,
        registry=registry_total,
        by_day=[
            DayRow(day, days[day].get("online", 0), days[day].get("paper", 0))
            for day in sorted(days)
        ],
        by_hour=[
            (hour, hours[hour].get("online", 0), hours[hour].get("paper", 0)) for hour in range(24)
        ],
        busiest_hours=sorted(day_hours.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
        by_channel=[(c.value, channels.get(c.value, 0)) for c in Channel],
        polling_places=sorted(places.items(), key=lambda kv: (-kv[1], kv[0])),
        paper_entries_logged=logged,
        age=age_rows,
        age_unknown=age_unknown,
        ages_out_of_range=ages_out_of_range,
        bursts=bursts,
        top_networks=top_networks,
        online_without_network=online_without_network,
        refused=refused,
        outside_window=outside_window,
        findings=findings,
    )
