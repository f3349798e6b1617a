"""The counting demo: Liberec 2024 after its vote closed, waiting for the commission to count.

It gives the 2024 edition eligible proposals in all three groups, the city's register of residents
aged 15 and more (the denominator of turnout) and a few thousand seeded-random D21 ballots with
their participations, written consistently: one participation and one ballot per voter, online or
on paper, at plausible times, from plausible districts and birth years. Paper ballots have their
audit entries with the polling place, as the paper-ballot service writes them. One online network
carries a burst of participations (a student party in the Harcov dormitories, say) for the anomaly
report to find, and a few hundred refused attempts are counted by reason.

Nothing is counted or published: after `make run` a commission member counts and two approve.
Loading is idempotent (each part is skipped when its rows exist) and fast: rows go in with COPY
on PostgreSQL and one executemany per table on SQLite.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import Connection, Table, func, select

from pb.accounts.models import User
from pb.audit import chain as audit_chain
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.core.types import UTCDateTime
from pb.demo.liberec import (
    PRAGUE,
    add_proposal,
    add_review,
    criterion_checks,
    local,
    review_entry,
)
from pb.editions.districts import District
from pb.editions.models import Edition
from pb.proposals.models import Proposal, ProposalStatus, ReviewDecision
from pb.voting import sealing
from pb.voting.models import (
    BallotBox,
    Channel,
    Envelope,
    Participation,
    RefusedAttempt,
    VoterRegistryEntry,
)

SLUG = "liberec-2024"
SEED = 2024

REGISTRY_SIZE = 88_000
"""Liberec has about 104 000 residents; about 88 000 of them are 15 or older."""
VOTERS = 3_160

# district code -> share of the residents, and how keen they are to vote (relative)
DISTRICT_SHARES = {
    "stare-mesto": (0.19, 1.0),
    "ruprechtice": (0.11, 1.1),
    "rochlice": (0.17, 0.8),
    "vesec": (0.08, 1.0),
    "harcov": (0.10, 1.2),
    "frantiskov": (0.09, 0.9),
    "horni-ruzodol": (0.12, 0.8),
    "vratislavice": (0.14, 1.3),
}
# (first age, last age, share of residents 15+ in per cent): a Czech city's pyramid
AGE_PYRAMID = (
    (15, 19, 5.5),
    (20, 24, 5.6),
    (25, 29, 6.3),
    (30, 34, 7.2),
    (35, 39, 8.0),
    (40, 44, 9.3),
    (45, 49, 9.0),
    (50, 54, 7.3),
    (55, 59, 7.2),
    (60, 64, 7.0),
    (65, 69, 7.3),
    (70, 74, 6.8),
    (75, 79, 4.8),
    (80, 84, 3.0),
    (85, 89, 1.7),
    (90, 99, 0.9),
)
# how keen each age is to vote in a participatory budget (relative)
AGE_KEENNESS = ((17, 0.5), (24, 0.8), (34, 1.3), (44, 1.7), (54, 1.2), (64, 0.9), (74, 0.6))
OLD_KEENNESS = 0.3

POLLING_PLACES = (
    ("Magistrát města Liberec, informační centrum", 0.55),
    ("Krajská vědecká knihovna Liberec", 0.25),
    ("Úřad městského obvodu Vratislavice nad Nisou", 0.20),
)
REFUSALS = (
    ("id_invalid", Channel.ONLINE, 71),
    ("already_voted", Channel.ONLINE, 38),
    ("ballot_rule", Channel.ONLINE, 26),
    ("too_young", Channel.ONLINE, 17),
    ("district_invalid", Channel.ONLINE, 5),
    ("already_voted", Channel.PAPER, 4),
    ("id_invalid", Channel.PAPER, 3),
)
BURST_BUCKET_SIZE = 42
BURST_START = datetime(2024, 10, 17, 20, 5, tzinfo=PRAGUE)


@dataclass(frozen=True)
class DemoProject:
    group: int
    title: str
    summary: str
    district: str | None
    address: str
    costs: tuple[tuple[str, int], ...]
    popularity: float
    controversy: float = 1.0


# Popularity of the seven proposals the 2024 story already has (by number).
EXISTING_POPULARITY = {1: (9.0, 1.0), 2: (8.0, 1.0), 6: (5.0, 2.0), 3: (7.0, 1.0), 4: (8.0, 1.5)}

PROJECTS = (
    DemoProject(
        0,
        "Lavičky a koše v Lidových sadech",
        "Dvanáct nových laviček s opěradlem a odpadkové koše podél hlavních cest.",
        "stare-mesto",
        "Lidové sady",
        (("Lavičky (12 ks)", 96_000), ("Odpadkové koše", 24_000)),
        6.0,
    ),
    DemoProject(
        0,
        "Venkovní posilovna na Vápence",
        "Posilovací prvky pro dospělé i seniory u koupaliště Vápenka.",
        "stare-mesto",
        "Koupaliště Vápenka",
        (("Posilovací prvky", 250_000), ("Dopadová plocha", 70_000)),
        7.0,
    ),
    DemoProject(
        0,
        "Knihobudka na Jablonecké",
        "Stará telefonní budka jako knihovnička pro výměnu knih.",
        "vratislavice",
        "Jablonecká, u zastávky",
        (("Oprava budky a police", 45_000),),
        4.0,
    ),
    DemoProject(
        0,
        "Stojany na kola u ZŠ Lesní",
        "Kryté stojany pro čtyřicet kol u základní školy.",
        "stare-mesto",
        "ZŠ Lesní",
        (("Stojany a přístřešek", 90_000),),
        3.0,
    ),
    DemoProject(
        0,
        "Obnova studánky pod Ještědem",
        "Vyčištění studánky, nové roubení a lavička pro poutníky.",
        "horni-ruzodol",
        "Lesní cesta pod Ještědem",
        (("Roubení a úprava pramene", 110_000), ("Lavička a informační tabule", 40_000)),
        6.0,
    ),
    DemoProject(
        0,
        "Vodní prvek na hřišti v Harcově",
        "Hrací prvek s vodní pumpou a korýtky pro malé děti.",
        "harcov",
        "Hřiště Harcov, Jizerská",
        (("Vodní prvek", 290_000), ("Přípojka a odvodnění", 90_000)),
        6.5,
    ),
    DemoProject(
        0,
        "Ptačí budky a hmyzí hotely ve Vesci",
        "Třicet ptačích budek a pět hmyzích hotelů v zeleni sídliště.",
        "vesec",
        "Sídliště Vesec",
        (("Budky a hotely", 60_000),),
        3.5,
    ),
    DemoProject(
        0,
        "Pumptrack ve Vratislavicích",
        "Vlnitá asfaltová dráha pro kola, koloběžky a odrážedla.",
        "vratislavice",
        "Louka u sokolovny Vratislavice",
        (("Asfaltová dráha", 330_000), ("Terénní úpravy", 65_000)),
        8.5,
        3.0,
    ),
    DemoProject(
        0,
        "Stínicí plachty na hřišti ve Františkově",
        "Plachty nad pískovištěm a lavičkami, aby se dalo hrát i v létě.",
        "frantiskov",
        "Hřiště Františkov, Kašparova",
        (("Plachty a kotvení", 175_000),),
        5.0,
    ),
    DemoProject(
        0,
        "Pingpongové stoly v Horním Růžodolu",
        "Dva venkovní stoly na stolní tenis u sportovního areálu.",
        "horni-ruzodol",
        "Sportovní areál Horní Růžodol",
        (("Stoly (2 ks)", 80_000), ("Zpevněná plocha", 30_000)),
        3.0,
    ),
    DemoProject(
        0,
        "Psí louka v Ruprechticích",
        "Oplocený výběh pro psy s prolézačkami a pítkem.",
        "ruprechtice",
        "Louka u Truhlářské",
        (("Oplocení", 160_000), ("Agility prvky a pítko", 80_000)),
        5.5,
        5.0,
    ),
    DemoProject(
        0,
        "Defibrilátory na sportovištích",
        "Sedm veřejně dostupných defibrilátorů na městských sportovištích.",
        None,
        "Městská sportoviště",
        (("Defibrilátory (7 ks)", 210_000), ("Venkovní skříně", 70_000)),
        7.0,
    ),
    DemoProject(
        0,
        "Letní kino v parku Clam-Gallasova",
        "Promítací plátno, technika a skládací sedačky pro letní promítání.",
        "stare-mesto",
        "Park Clam-Gallasova",
        (("Plátno a technika", 230_000), ("Sedačky", 60_000)),
        4.5,
        2.0,
    ),
    DemoProject(
        0,
        "Oprava lesní cesty na Výšinu",
        "Zpevnění rozbité cesty a odvodnění, aby se dala projít i po dešti.",
        "horni-ruzodol",
        "Cesta na Výšinu",
        (("Zpevnění cesty", 290_000), ("Odvodňovací žlaby", 70_000)),
        4.0,
    ),
    DemoProject(
        1,
        "Dětské hřiště v Kunratické",
        "Nové hřiště pro děti do dvanácti let s lanovkou a pískovištěm.",
        "ruprechtice",
        "Kunratická",
        (("Herní prvky", 620_000), ("Povrchy a oplocení", 240_000)),
        8.5,
    ),
    DemoProject(
        1,
        "Chodník podél Hodkovické",
        "Chybějící úsek chodníku k zastávce MHD.",
        "vesec",
        "Hodkovická",
        (("Chodník 420 m", 720_000),),
        5.0,
    ),
    DemoProject(
        1,
        "Revitalizace parku Budyšínská",
        "Nové cesty, výsadba a lavičky v zanedbaném parku.",
        "stare-mesto",
        "Park Budyšínská",
        (("Mlatové cesty", 480_000), ("Výsadba", 300_000), ("Mobiliář", 160_000)),
        6.5,
    ),
    DemoProject(
        1,
        "Dopravní hřiště v Harcově",
        "Dětské dopravní hřiště se semafory, kde se děti učí jezdit.",
        "harcov",
        "Areál ZŠ Sokolovská",
        (("Povrch a značení", 690_000), ("Semafory a značky", 300_000)),
        6.0,
        1.5,
    ),
    DemoProject(
        1,
        "Petanque a sezení pro seniory v Rochlici",
        "Dvě hřiště na petanque, stoly a stín pro setkávání.",
        "rochlice",
        "Vnitroblok Dobiášova",
        (("Hřiště na petanque", 260_000), ("Altán a stoly", 220_000)),
        4.0,
    ),
    DemoProject(
        1,
        "Zastřešené sezení u Nisy",
        "Pergola s lavicemi a stolem na břehu řeky.",
        "frantiskov",
        "Nábřeží Nisy, Františkov",
        (("Pergola", 400_000), ("Lavice a stůl", 160_000)),
        4.5,
    ),
    DemoProject(
        1,
        "Naučná stezka pod Ještědem",
        "Dvanáct zastavení o přírodě a historii Ještědského hřbetu.",
        "horni-ruzodol",
        "Horní Hanychov – Ještěd",
        (("Tabule a zastavení", 420_000), ("Úprava cesty", 230_000)),
        5.5,
    ),
    DemoProject(
        2,
        "Krytá tribuna na stadionu u Nisy",
        "Zastřešená tribuna pro 400 diváků na městském stadionu.",
        "frantiskov",
        "Stadion u Nisy",
        (("Tribuna", 1_100_000), ("Zastřešení", 350_000)),
        5.0,
        2.0,
    ),
    DemoProject(
        2,
        "Rekonstrukce koupaliště v Ruprechticích",
        "Nová technologie, dlažba a brouzdaliště pro děti.",
        "ruprechtice",
        "Koupaliště Ruprechtice",
        (
            ("Technologie úpravy vody", 900_000),
            ("Bazén a brouzdaliště", 750_000),
            ("Zázemí", 300_000),
        ),
        7.5,
    ),
    DemoProject(
        2,
        "Celoroční sportoviště v Rochlici",
        "Hřiště s umělým povrchem a osvětlením pro míčové hry po celý rok.",
        "rochlice",
        "Areál ZŠ Vrchlického",
        (("Umělý povrch", 700_000), ("Osvětlení a oplocení", 500_000)),
        6.5,
    ),
)

GROUP_TURNOUT = (0.94, 0.86, 0.72)  # share of voters who vote in each group
PLUS_COUNT = ((1, 0.20), (2, 0.25), (3, 0.55))
MINUS_CHANCE = 0.16
HOME_BONUS = 2.5  # a project in the voter's own district is more likely to get their vote


def load_counting_demo(now: datetime) -> dict[str, int]:
    """Add what is missing of the finished 2024 vote; returns how many rows of each were added."""
    added = {"proposals": 0, "registry": 0, "ballots": 0}
    edition = db.session.scalar(select(Edition).where(Edition.slug == SLUG))
    if edition is None:
        return added
    users = {u.email: u for u in db.session.scalars(select(User))}
    districts = {d.code: d for d in db.session.scalars(select(District))}
    added["proposals"] = _add_proposals(edition, users, districts, now)
    has_registry = _exists(VoterRegistryEntry, edition)
    has_vote = _exists(Participation, edition)
    if has_registry and has_vote:
        return added
    year = edition.voting_ends_at.astimezone(PRAGUE).year
    registry = _registry(year, tuple(sorted((code, d.id) for code, d in districts.items())))
    if not has_registry:
        _insert(
            VoterRegistryEntry.__table__,
            ("edition_id", "voter_key", "birth_year", "district_id"),
            [(edition.id, key, year, district) for key, year, district in registry],
        )
        added["registry"] = len(registry)
    if not has_vote:
        rng = random.Random(SEED)
        added["ballots"] = _add_vote(edition, users, districts, registry, rng, now)
    db.session.flush()
    return added


def _exists(model, edition: Edition) -> bool:
    found = db.session.scalar(
        select(func.count()).select_from(model).where(model.edition_id == edition.id)
    )
    return (found or 0) > 0  # a count always has its row


# --- proposals ------------------------------------------------------------------------------------


def _add_proposals(edition: Edition, users, districts, now: datetime) -> int:
    taken = set(
        db.session.scalars(select(Proposal.number).where(Proposal.edition_id == edition.id))
    )
    first = 8
    official = users["official@example.cz"]
    authors = ["resident@example.cz", "petr.novak@example.cz", "jana.svobodova@example.cz"]
    justification = "Splňuje všechna kritéria; správce pozemku i údržby souhlasí."
    created: list[Proposal] = []
    for index, item in enumerate(PROJECTS):
        number = first + index
        if number in taken:
            continue
        submitted_at = edition.submission_starts_at + timedelta(days=2 + 2 * index, hours=9)
        proposal = add_proposal(
            edition,
            number,
            item,
            author=users[authors[index % len(authors)]],
            districts=districts,
            status=ProposalStatus.ELIGIBLE,
            created_at=submitted_at - timedelta(days=1),
            submitted_at=submitted_at,
        )
        add_review(
            proposal,
            official,
            ReviewDecision.ELIGIBLE,
            justification,
            reviewed_at=edition.review_starts_at + timedelta(days=2 + index, hours=10),
            checks=criterion_checks(edition, None, ""),
        )
        created.append(proposal)
    if created:
        db.session.flush()
        _append_audit(
            [review_entry(official, p, ReviewDecision.ELIGIBLE, justification) for p in created],
            now,
        )
    return len(created)


# --- the register of residents ---------------------------------------------------------------------


def _registry(year: int, district_ids: tuple[tuple[str, int], ...]) -> list[tuple[str, int, int]]:
    """(voter key, birth year, district id) of every resident 15+, the same on every load."""
    rng = random.Random(f"{SEED}:registry")
    ids = dict(district_ids)
    ages, age_weights = [], []
    for first, last, share in AGE_PYRAMID:
        for age in range(first, last + 1):
            ages.append(age)
            age_weights.append(share / (last - first + 1))
    codes = list(DISTRICT_SHARES)
    district_weights = [DISTRICT_SHARES[c][0] for c in codes]
    born = rng.choices(ages, cum_weights=list(accumulate(age_weights)), k=REGISTRY_SIZE)
    homes = rng.choices(
        [ids[c] for c in codes],
        cum_weights=list(accumulate(district_weights)),
        k=REGISTRY_SIZE,
    )
    keys = rng.randbytes(32 * REGISTRY_SIZE).hex()  # stands for HMAC(pepper, ID number)
    rows = [(keys[64 * i : 64 * i + 64], year - born[i], homes[i]) for i in range(REGISTRY_SIZE)]
    rows.sort()  # key order: the unique index is built by appending
    return rows


# --- the vote -------------------------------------------------------------------------------------


def _keenness(age: int) -> float:
    for last, value in AGE_KEENNESS:
        if age <= last:
            return value
    return OLD_KEENNESS


def _pick_voters(registry, year: int, districts, rng: random.Random, k: int):
    """k different residents, drawn with weights for how keen their age and district are."""
    keenness = {d.id: DISTRICT_SHARES[code][1] for code, d in districts.items()}
    weights = [
        _keenness(year - birth_year) * keenness[district_id]
        for _k, birth_year, district_id in registry
    ]
    chosen: dict[int, None] = {}
    while len(chosen) < k:
        for index in rng.choices(range(len(registry)), weights, k=k):
            chosen.setdefault(index)
            if len(chosen) == k:
                break
    return [registry[i] for i in chosen]


def _day_weights(first: date, days: int) -> list[float]:
    weights = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        weight = 2.2 if day.weekday() < 5 else 1.7
        if offset == 0:
            weight = 9.0  # the opening and its press coverage
        elif offset in (1, 2):
            weight = 5.0 - offset
        elif day == date(2024, 10, 14):
            weight = 4.0  # the city's newsletter arrives
        elif offset >= days - 3:
            weight = (3.5, 4.5, 7.5)[offset - (days - 3)]  # the last-days rush
        weights.append(weight)
    return weights


ONLINE_HOURS = (
    0.3, 0.15, 0.1, 0.05, 0.05, 0.2, 0.8, 1.8, 2.4, 2.2, 2.0, 2.0,
    2.4, 2.1, 1.9, 2.0, 2.3, 2.6, 2.9, 3.3, 3.5, 3.0, 1.8, 0.9,
)  # fmt: skip


def _online_time(day: date, rng: random.Random) -> datetime:
    hour = rng.choices(range(24), ONLINE_HOURS)[0]
    return local(day, time(hour, rng.randrange(60), rng.randrange(60))).astimezone(UTC)


def _paper_time(days: list[date], day_weights: list[float], rng: random.Random) -> datetime:
    while True:
        day = rng.choices(days, day_weights)[0]
        if day.weekday() < 5:  # polling places are open on working days, 8:00 to 17:00
            break
    at = time(rng.randrange(8, 17), rng.randrange(60), rng.randrange(60))
    return local(day, at).astimezone(UTC)


def _group_projects(edition: Edition) -> list[list[tuple[int, int, float, float, int | None]]]:
    """Per group: (proposal id, number, popularity, controversy, district id) of its projects."""
    by_title = {p.title: p for p in PROJECTS}
    groups: list[list[tuple[int, int, float, float, int | None]]] = [[] for _ in edition.categories]
    proposals = db.session.scalars(
        select(Proposal)
        .where(Proposal.edition_id == edition.id, Proposal.status == ProposalStatus.ELIGIBLE)
        .order_by(Proposal.number)
    )
    positions = {c.id: i for i, c in enumerate(edition.categories)}
    for proposal in proposals:
        assert proposal.number is not None, "an eligible proposal was numbered when submitted"
        if proposal.title in by_title:
            item = by_title[proposal.title]
            popularity, controversy = item.popularity, item.controversy
        else:
            popularity, controversy = EXISTING_POPULARITY.get(proposal.number, (4.0, 1.0))
        groups[positions[proposal.category_id]].append(
            (proposal.id, proposal.number, popularity, controversy, proposal.district_id)
        )
    return groups


def _weighted_sample(items: Sequence, weights: Sequence[float], k: int, rng: random.Random) -> list:
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _score, i in keyed[:k]]


def _marks(groups, categories, home: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """One D21 ballot: (proposal id, category id, +1/-1) for each mark, always valid."""
    marks = []
    for position, projects in enumerate(groups):
        if not projects or rng.random() > GROUP_TURNOUT[position]:
            continue
        category = categories[position]
        plus = rng.choices([n for n, _w in PLUS_COUNT], [w for _n, w in PLUS_COUNT])[0]
        plus = min(plus, category.plus_votes or 3, len(projects))
        weights = [p[2] * (HOME_BONUS if p[4] == home else 1.0) for p in projects]
        liked = _weighted_sample(projects, weights, plus, rng)
        marks += [(p[0], category.id, 1) for p in liked]
        rest = [p for p in projects if p not in liked]
        if (
            rest
            and plus >= (category.minus_requires_plus or 0)
            and (category.minus_votes or 0) > 0
            and rng.random() < MINUS_CHANCE
        ):
            disliked = _weighted_sample(rest, [p[3] for p in rest], 1, rng)[0]
            marks.append((disliked[0], category.id, -1))
    if not marks:  # everyone who voted marked something: they would not have sent it blank
        return _marks(groups, categories, home, rng)
    return marks


def _add_vote(edition: Edition, users, districts, registry, rng: random.Random, now) -> int:
    year = edition.voting_ends_at.astimezone(PRAGUE).year
    first_day = edition.voting_starts_at.astimezone(PRAGUE).date()
    last_day = (edition.voting_ends_at - timedelta(seconds=1)).astimezone(PRAGUE).date()
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    day_weights = _day_weights(first_day, len(days))
    voters = _pick_voters(registry, year, districts, rng, VOTERS)
    rng.shuffle(voters)
    groups = _group_projects(edition)
    categories = list(edition.categories)
    harcov = districts["harcov"].id
    home_networks = [hashlib.sha256(f"demo:net:{i}".encode()).hexdigest()[:32] for i in range(1500)]
    mobile_networks = [
        hashlib.sha256(f"demo:mobile:{i}".encode()).hexdigest()[:32] for i in range(12)
    ]
    work_networks = [hashlib.sha256(f"demo:work:{i}".encode()).hexdigest()[:32] for i in range(5)]
    burst_network = hashlib.sha256(b"demo:net:koleje-harcov").hexdigest()[:32]
    places = [p for p, _w in POLLING_PLACES]
    place_weights = [w for _p, w in POLLING_PLACES]
    vratislavice = districts["vratislavice"].id

    definition = _definition(edition)
    participations, envelopes, paper_places = [], [], []
    burst_left = BURST_BUCKET_SIZE
    receipts: set[str] = set()
    for voter_key, birth_year, district_id in voters:
        age = year - birth_year
        paper = rng.random() < min(0.35, 0.03 + 0.005 * max(0, age - 40))
        bucket = None
        if paper:
            voted_at = _paper_time(days, day_weights, rng)
            weights = list(place_weights)
            if district_id == vratislavice:
                weights[2] *= 6
            paper_places.append(rng.choices(places, weights)[0])
        elif burst_left and 19 <= age <= 26 and district_id == harcov:
            # the dormitory evening: one network, a few minutes apart
            minutes = (BURST_BUCKET_SIZE - burst_left) * 0.35 + rng.random() * 0.3
            voted_at = (BURST_START + timedelta(minutes=minutes)).astimezone(UTC)
            bucket = burst_network
            burst_left -= 1
        else:
            voted_at = _online_time(rng.choices(days, day_weights)[0], rng)
            draw = rng.random()
            if draw < 0.3:  # a mobile operator's shared addresses
                bucket = rng.choice(mobile_networks)
            elif draw < 0.38:  # a workplace: the university, the hospital, the town hall
                bucket = rng.choice(work_networks)
            else:
                bucket = rng.choice(home_networks)
        participations.append(
            (
                edition.id,
                voter_key,
                (Channel.PAPER if paper else Channel.ONLINE).value,
                voted_at.replace(tzinfo=None),
                district_id,
                birth_year,
                bucket,
            )
        )
        envelope_id = f"{rng.getrandbits(128):032x}"
        receipt = f"{rng.getrandbits(128):032x}"
        while receipt in receipts:
            receipt = f"{rng.getrandbits(128):032x}"
        receipts.add(receipt)
        marks = {
            pid: value for pid, _category, value in _marks(groups, categories, district_id, rng)
        }
        envelopes.append(
            (
                envelope_id,
                edition.id,
                sealing.seal_marks(definition.public_key, marks, definition.plain_length),
                hashlib.sha256(receipt.encode()).hexdigest(),
            )
        )

    participations.sort(key=lambda row: row[3])
    envelopes.sort()  # random ids: the table order says nothing about who voted when
    _insert(
        Participation.__table__,
        (
            "edition_id",
            "voter_key",
            "channel",
            "voted_at",
            "district_id",
            "birth_year",
            "network_bucket",
        ),
        participations,
    )
    _insert(Envelope.__table__, ("id", "edition_id", "sealed", "receipt_hash"), envelopes)
    box = db.session.get(BallotBox, edition.id)
    assert box is not None, "the key ceremony gave the edition its ballot box (load_demo)"
    box.paper_sheets = len(paper_places)
    _add_paper_audit(edition, users["official@example.cz"], paper_places, rng, now)
    _add_refusals(edition, days, day_weights, rng)
    return len(envelopes)


def _definition(edition: Edition):
    """The edition's ballot as casting sees it: its public key and its one sealed length."""
    from pb.voting import casting

    casting.forget_definitions()
    definition = casting.ballot_definition(edition.slug)
    casting.forget_definitions()
    return definition


def _add_paper_audit(
    edition: Edition, official: User, places: list[str], rng, now: datetime
) -> None:
    """The audit entries the paper desks write: one per check-in, and per polling place one
    batch of sheets entered after the polls closed (how many, never which)."""
    rng.shuffle(places)
    checked_in: list[audit_chain.Deed] = [
        audit_chain.Deed(official, "paper.check_in", edition, after={"polling_place": place})
        for place in places
    ]
    per_place: dict[str, int] = {}
    for place in places:
        per_place[place] = per_place.get(place, 0) + 1
    batches: list[audit_chain.Deed] = [
        audit_chain.Deed(
            official, "paper.sheets_enter", edition, after={"polling_place": p, "sheets": n}
        )
        for p, n in sorted(per_place.items())
    ]
    _append_audit(checked_in + batches, now)


def _append_audit(entries: list[audit_chain.Deed], now: datetime) -> None:
    """Append entries to the chained log.

    The same entries `audit.record` writes, chained under the same lock, written in one go.
    """
    built = audit_chain.build_entries(entries, now)
    _insert(
        AuditEntry.__table__,
        (
            "seq",
            "created_at",
            "actor_id",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "prev_hash",
            "entry_hash",
        ),
        [
            (
                e.seq,
                e.created_at.astimezone(UTC).replace(tzinfo=None),
                e.actor_id,
                e.actor_label,
                e.action,
                e.object_type,
                e.object_id,
                e.before,
                e.after,
                e.prev_hash,
                e.entry_hash,
            )
            for e in built
        ],
    )


def _add_refusals(edition: Edition, days, day_weights, rng: random.Random) -> None:
    rows = []
    for reason, channel, count in REFUSALS:
        for _ in range(count):
            if channel == Channel.PAPER:
                at = _paper_time(days, day_weights, rng)
            else:
                at = _online_time(rng.choices(days, day_weights)[0], rng)
            rows.append((edition.id, channel.value, reason, at.replace(tzinfo=None)))
    rows.sort(key=lambda row: row[3])
    _insert(RefusedAttempt.__table__, ("edition_id", "channel", "reason", "occurred_at"), rows)


# --- bulk writing ----------------------------------------------------------------------------------


def _insert(table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Many rows at once, inside the session's transaction; datetimes are naive UTC."""
    if not rows:
        return
    db.session.flush()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = _driver_connection(connection)
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    # SQLite: the columns' own conversions, then one executemany on the driver's cursor
    # (SQLAlchemy's per-row parameter handling would cost more than the writing itself).
    dialect = connection.dialect
    convert = []
    for name in columns:
        column_type = table.c[name].type
        process = column_type.bind_processor(dialect)
        if isinstance(column_type, UTCDateTime):
            process = _aware_then(process)
        convert.append(process)
    converted = [
        tuple(value if f is None else f(value) for f, value in zip(convert, row, strict=True))
        for row in rows
    ]
    marks = ", ".join("?" for _ in columns)
    cursor = _driver_connection(connection).cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", converted
        )
    finally:
        cursor.close()


def _driver_connection(connection: Connection) -> Any:
    """The database driver's own connection (psycopg's or sqlite3's), for COPY and executemany."""
    raw = connection.connection.driver_connection
    assert raw is not None, "a connection checked out of the pool holds its driver's connection"
    return raw


def _aware_then(process):
    """UTCDateTime refuses naive datetimes: ours are naive UTC, so say so first."""

    def convert(value):
        value = value.replace(tzinfo=UTC) if value is not None else None
        return process(value) if process is not None else value

    return convert
