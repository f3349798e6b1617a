"""The demo's published past edition (Liberec 2023 shape) and what became of its funded projects.

Built like the rest of the demo: the vote's rows are written as the ballot box holds them after a
vote, and everything after it goes through the use cases people trigger: the commission counts,
two members approve, one publishes; an admin starts tracking and grants a department's official
access; the official moves each project along, with milestones and photos (drawn with Pillow here,
so no binary is committed). Every funded project ends in a different status.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from pb.accounts.models import Role, User
from pb.core.extensions import db
from pb.demo.liberec import (
    CRITERIA,
    D21_RULE,
    add_edition,
    add_proposal,
    edition_fields,
    project_group,
)
from pb.editions.districts import District
from pb.editions.models import Edition
from pb.implementation import operations
from pb.implementation import photos as photo_service
from pb.implementation.models import Implementation, ImplementationStatus, MoneyOutcome
from pb.proposals.models import Proposal, ProposalStatus
from pb.results import counting
from pb.voting.models import Ballot, BallotChoice, Channel, Participation

SLUG = "liberec-2023"
IMPLEMENTER = ("implementer@example.cz", "Ivana Investiční")
DEPARTMENTS = [
    ("investice", "Odbor investic a správy majetku"),
    ("zivotni-prostredi", "Odbor životního prostředí"),
]


@dataclass(frozen=True)
class Project:
    title: str
    summary: str
    group: int
    district: str
    address: str
    lat: float
    lon: float
    cost: int
    appeal: int  # how many voters, out of 100, give it a plus vote

    @property
    def costs(self) -> tuple[tuple[str, int]]:
        return (("Realizace", self.cost),)


PROJECTS = [
    Project(
        "Lavičky a stromy u Harcovské přehrady",
        "Deset laviček a dvacet stromů na hrázi.",
        0,
        "harcov",
        "Harcovská přehrada, hráz",
        50.7699,
        15.0801,
        380_000,
        70,
    ),
    Project(
        "Pítko na Šaldově náměstí",
        "Pitná fontánka s miskou pro psy.",
        0,
        "stare-mesto",
        "Šaldovo náměstí",
        50.7677,
        15.0555,
        180_000,
        62,
    ),
    Project(
        "Hmyzí hotel a louka v Ruprechticích",
        "Kvetoucí louka místo trávníku a hmyzí domky.",
        0,
        "ruprechtice",
        "park u ZŠ Ruprechtice",
        50.7832,
        15.0667,
        90_000,
        55,
    ),
    Project(
        "Veřejná knihovnička v Rochlici",
        "Knihobudka na zastávce Rochlice.",
        0,
        "rochlice",
        "zastávka Rochlice, Dobiášova",
        50.7505,
        15.0791,
        60_000,
        48,
    ),
    Project(
        "Stojany na kola u nádraží",
        "Třicet krytých stojanů na kola.",
        0,
        "stare-mesto",
        "Nádražní, u hlavního nádraží",
        50.7610,
        15.0470,
        350_000,
        44,
    ),
    Project(
        "Osvětlení stezky ve Vesci",
        "Úsporné osvětlení pěší stezky k lesu.",
        0,
        "vesec",
        "stezka Vesec – Doubí",
        50.7369,
        15.0652,
        400_000,
        20,
    ),
    Project(
        "Workoutové hřiště ve Františkově",
        "Cvičební prvky pro dospělé a seniory.",
        1,
        "frantiskov",
        "park Františkov",
        50.7742,
        15.0468,
        900_000,
        68,
    ),
    Project(
        "Komunitní zahrada v Horním Růžodole",
        "Záhony, kompostér a altán pro sousedy.",
        1,
        "horni-ruzodol",
        "Kubelíkova, vnitroblok",
        50.7759,
        15.0340,
        700_000,
        60,
    ),
    Project(
        "Přechod pro chodce u školy ve Vesci",
        "Bezpečný přechod se zúženou vozovkou.",
        1,
        "vesec",
        "Švermova, u ZŠ Vesec",
        50.7411,
        15.0700,
        950_000,
        57,
    ),
    Project(
        "Skatepark v Harcově",
        "Betonový skatepark u koupaliště.",
        1,
        "harcov",
        "koupaliště Harcov",
        50.7712,
        15.0838,
        1_000_000,
        25,
    ),
]

# The story of each funded project, in the order the count funds them.
STORIES = [
    (ImplementationStatus.DONE, 0.97),
    (ImplementationStatus.CONSTRUCTION, 0.55),
    (ImplementationStatus.PROCUREMENT, 0.05),
    (ImplementationStatus.DESIGN, 0.02),
    (ImplementationStatus.PLANNED, 0.0),
    (ImplementationStatus.NOT_FEASIBLE, 0.01),
    (ImplementationStatus.DONE, 1.0),
    (ImplementationStatus.CONSTRUCTION, 0.4),
]

# (day, what happened, a photo of it: (its alt text, the colour of its ground) or None)
Milestone = tuple[date, str, tuple[str, tuple[int, int, int]] | None]
MILESTONES: dict[ImplementationStatus, list[Milestone]] = {
    ImplementationStatus.DESIGN: [(date(2024, 3, 12), "Projektant vybrán, začíná návrh.", None)],
    ImplementationStatus.PROCUREMENT: [
        (date(2024, 2, 20), "Dokumentace hotová a schválená.", None),
        (date(2024, 9, 2), "Vypsána veřejná zakázka na dodavatele.", None),
    ],
    ImplementationStatus.CONSTRUCTION: [
        (date(2024, 3, 5), "Dokumentace hotová.", None),
        (
            date(2024, 10, 14),
            "Stavba zahájena, místo je oplocené.",
            ("Oplocené staveniště s bagrem", (176, 140, 90)),
        ),
    ],
    ImplementationStatus.DONE: [
        (date(2024, 4, 2), "Dodavatel vybrán.", None),
        (date(2024, 6, 18), "Práce začaly.", ("Dělníci kopou základy", (150, 120, 80))),
        (
            date(2024, 9, 30),
            "Hotovo a předáno veřejnosti.",
            ("Hotový projekt za slunečného dne", (90, 160, 90)),
        ),
    ],
    ImplementationStatus.NOT_FEASIBLE: [
        (date(2024, 5, 6), "Geologický průzkum ukázal poddolovaný terén.", None),
    ],
}


GROUPS = [
    project_group(
        "Malé projekty",
        "Small projects",
        1_500_000,
        (40_000, 400_000),
        **D21_RULE,
    ),
    project_group(
        "Velké projekty",
        "Large projects",
        2_500_000,
        (400_000, 1_000_000),
        **D21_RULE,
    ),
]


def _edition_fields() -> dict:
    return edition_fields(
        slug=SLUG,
        name="Participativní rozpočet Liberec 2023",
        name_en="Liberec Participatory Budget 2023",
        description="Třetí ročník participativního rozpočtu: co obyvatelé vybrali a jak se to staví.",
        description_en="The third participatory budget: what residents chose and how it is being built.",
        total_budget=4_000_000,
        phases=(
            date(2023, 3, 1),
            date(2023, 5, 1),
            date(2023, 8, 1),
            date(2023, 9, 1),
            date(2023, 10, 1),
        ),
        appeals_end=date(2023, 8, 15),
    )


def _picture(text: str, colour: tuple[int, int, int]) -> bytes:
    """A small drawn "photo": sky, ground, a sun and a caption band."""
    image = Image.new("RGB", (480, 320), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 480, 320), fill=colour)
    draw.ellipse((380, 30, 440, 90), fill=(250, 220, 90))
    draw.rectangle((60, 140, 200, 210), fill=(120, 90, 70))
    draw.rectangle((0, 290, 480, 320), fill=(30, 30, 30))
    draw.text((10, 298), text[:60], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def load_implementation_demo(now: datetime) -> int:
    """Add the 2023 edition and its implementation story if missing; returns projects added."""
    if db.session.scalar(select(Edition).where(Edition.slug == SLUG)) is not None:
        return 0
    users = {u.email: u for u in db.session.scalars(select(User))}
    districts = {d.code: d for d in db.session.scalars(select(District))}
    edition = _create_edition(users, districts, now)
    _vote(edition, districts)
    _count_and_publish(edition, users, now)
    _track(edition, users, now)
    db.session.flush()
    return len(PROJECTS)


def _create_edition(users, districts, now) -> Edition:
    edition = add_edition(
        _edition_fields(),
        GROUPS,
        CRITERIA[:1],
        districts,
        admin=users["admin@example.cz"],
        now=now,
    )
    author = users["resident@example.cz"]
    for number, item in enumerate(PROJECTS, start=1):
        submitted = edition.submission_starts_at + timedelta(days=2 * number)
        add_proposal(
            edition,
            number,
            item,
            author=author,
            districts=districts,
            status=ProposalStatus.ELIGIBLE,
            created_at=submitted,
            submitted_at=submitted,
            latitude=item.lat,
            longitude=item.lon,
        )
    db.session.flush()
    return edition


def _vote(edition: Edition, districts) -> None:
    """600 voters' plain ballots, as the box holds them once voting is over."""
    rng = random.Random(2023)
    proposals = {
        p.number: p
        for p in db.session.scalars(select(Proposal).where(Proposal.edition_id == edition.id))
    }
    district_ids = [d.id for d in districts.values()]
    days = (edition.voting_ends_at - edition.voting_starts_at).days
    for index in range(600):
        voted_at = edition.voting_starts_at + timedelta(
            days=rng.randrange(days), hours=rng.randrange(8, 20)
        )
        db.session.add(
            Participation(
                edition_id=edition.id,
                voter_key=f"{rng.getrandbits(256):064x}",
                channel=Channel.PAPER if index % 9 == 0 else Channel.ONLINE,
                voted_at=voted_at,
                district_id=rng.choice(district_ids),
                birth_year=rng.randrange(1940, 2007),
            )
        )
        # As the opened box holds them: no receipt, no day, nothing that leads to the voter.
        ballot = Ballot(id=f"{rng.getrandbits(128):032x}", edition_id=edition.id)
        for group in (0, 1):
            numbers = [n for n, item in enumerate(PROJECTS, start=1) if item.group == group]
            plus = [n for n in numbers if rng.randrange(100) < PROJECTS[n - 1].appeal][:3]
            for n in plus:
                p = proposals[n]
                ballot.choices.append(
                    BallotChoice(proposal_id=p.id, category_id=p.category_id, value=1)
                )
        if ballot.choices:
            db.session.add(ballot)
    db.session.flush()


def _count_and_publish(edition: Edition, users, now: datetime) -> None:
    # The audit log hashes its time as UTC: the story's local dates are converted first.
    counted_at = (edition.voting_ends_at + timedelta(days=3)).astimezone(UTC)
    first, second = users["commission@example.cz"], users["commission2@example.cz"]
    result = counting.count_results(edition, actor=first, now=counted_at)
    for member in (first, second):
        counting.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=counted_at
        )
    counting.publish_result(result, actor=first, now=counted_at + timedelta(days=1))


def _implementer(users, now: datetime) -> User:
    from pb.accounts.operations import hash_password
    from pb.demo.load import DEMO_PASSWORD

    email, name = IMPLEMENTER
    user = users.get(email)
    if user is None:
        user = User(
            email=email, name=name, role=Role.RESIDENT, password_hash=hash_password(DEMO_PASSWORD)
        )
        db.session.add(user)
        db.session.flush()
    return user


def _track(edition: Edition, users, now: datetime) -> None:
    admin = users["admin@example.cz"]
    departments = [
        operations.create_department(code, name, actor=admin, now=now) for code, name in DEPARTMENTS
    ]
    implementer = _implementer(users, now)
    operations.grant_access(implementer, departments[0], actor=admin, now=now)
    records = operations.open_records(edition, actor=admin, now=now)
    for index, record in enumerate(records):
        department = departments[0] if index % 3 != 2 else departments[1]
        operations.assign_department(record, department, actor=admin, now=now)
        status, spent_share = STORIES[index % len(STORIES)]
        _tell(
            record, status, spent_share, implementer if department is departments[0] else admin, now
        )


def _tell(
    record: Implementation,
    status: ImplementationStatus,
    spent_share: float,
    actor: User,
    now: datetime,
) -> None:
    for day, text, picture in MILESTONES.get(status, []):
        made = []
        if picture is not None:
            alt, colour = picture
            made.append(photo_service.make_photo(_picture(alt, colour), alt, now))
        operations.add_milestone(
            record, happened_on=day, text=text, photos=made, actor=actor, now=now
        )
    done = status == ImplementationStatus.DONE
    change = operations.ImplementationChange(
        status=status,
        planned_cost=record.planned_cost,
        spent=int(record.planned_cost * spent_share),
        expected_completion=None
        if done
        else date(2026, 10, 31)
        if status != ImplementationStatus.NOT_FEASIBLE
        else None,
        actual_completion=date(2024, 9, 30) if done else None,
        not_feasible_reason=(
            "Geologický průzkum ukázal poddolovaný terén; stavba by stála trojnásobek."
            if status == ImplementationStatus.NOT_FEASIBLE
            else ""
        ),
        money_outcome=MoneyOutcome.NEXT_PROJECT
        if status == ImplementationStatus.NOT_FEASIBLE
        else None,
    )
    operations.update_record(record, change, actor=actor, now=now)
