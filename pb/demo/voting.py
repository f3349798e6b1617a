"""The voting demo: a practice vote that is open today, with all four ballot rules.

Its groups vote by approval, knapsack, cumulative and plus-minus (D21) rules, and one group is
only for the residents of Vratislavice nad Nisou. Voters are checked against a small register of
fictitious residents (valid birth numbers, made up for the demo); three of them are listed in
`DEMO_VOTERS` for the README. Loading is idempotent: nothing happens when the edition exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from pb.accounts.models import User
from pb.core.extensions import db
from pb.demo.liberec import (
    D21_RULE,
    PRAGUE,
    GroupSpec,
    add_edition,
    add_proposal,
    add_review,
    edition_fields,
    project_group,
    record_review,
)
from pb.editions.districts import District
from pb.editions.models import BallotRule, Edition, EligibilityPolicy, TallyRule
from pb.proposals.models import ProposalStatus, ReviewDecision
from pb.voting.registry import import_registry

SLUG = "zkusebni-hlasovani"


@dataclass(frozen=True)
class DemoVoter:
    id_number: str
    birth_date: date
    district: str  # a district code of pb.demo.load.DISTRICTS
    id_card: str  # the second factor: the number of the (fictitious) identity card


# Fictitious residents the README names; their numbers pass the checksum but belong to nobody.
DEMO_VOTERS = (
    DemoVoter("8556151208", date(1985, 6, 15), "stare-mesto", "210458731"),
    DemoVoter("7811031206", date(1978, 11, 3), "vratislavice", "198127465"),
    DemoVoter("6409081206", date(1964, 9, 8), "rochlice", "205316984"),
    DemoVoter("9252291202", date(1992, 2, 29), "ruprechtice", "203774190"),
    DemoVoter("0154211200", date(2001, 4, 21), "vratislavice", "211906352"),
    DemoVoter("500512123", date(1950, 5, 12), "harcov", "197530864"),  # born before 1954
)
DISTRICT_CYCLE = (
    "stare-mesto",
    "ruprechtice",
    "rochlice",
    "vesec",
    "harcov",
    "frantiskov",
    "horni-ruzodol",
    "vratislavice",
)
GENERATED_RESIDENTS = 40


def _birth_number(born: date, female: bool, serial: int) -> str | None:
    month = born.month + (50 if female else 0)
    first_nine = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial % 1000:03d}"
    remainder = int(first_nine) % 11
    return None if remainder == 10 else first_nine + str(remainder)


def demo_register_lines() -> list[str]:
    """The demo register as CSV lines: the named voters, then generated residents."""
    lines = ["id_number,birth_date,district,id_card"]
    lines += [
        f"{v.id_number},{v.birth_date.isoformat()},{v.district},{v.id_card}" for v in DEMO_VOTERS
    ]
    serial = 300
    for i in range(GENERATED_RESIDENTS):
        born = date(1954 + (i * 37) % 52, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
        number = None
        while number is None:
            serial += 7
            number = _birth_number(born, i % 2 == 0, serial)
        district = DISTRICT_CYCLE[i % len(DISTRICT_CYCLE)]
        lines.append(f"{number},{born.isoformat()},{district},{300000000 + serial}")
    return [line + "\n" for line in lines]


GROUPS: list[GroupSpec] = [
    project_group(
        "Malé projekty",
        "Small projects",
        1_500_000,
        (50_000, 500_000),
        description="Vyberte jeden až tři projekty, které podporujete.",
        description_en="Choose one to three projects you support.",
        ballot_rule=BallotRule.APPROVAL,
        min_choices=1,
        max_choices=3,
        tally_rule=TallyRule.GREEDY,
    ),
    project_group(
        "Velké projekty",
        "Large projects",
        3_000_000,
        (500_000, 2_500_000),
        description="Sestavte si rozpočet: vybrané projekty se musí vejít do 3 000 000 Kč.",
        description_en="Build a budget: the projects you choose must fit CZK 3,000,000.",
        ballot_rule=BallotRule.KNAPSACK,
        tally_rule=TallyRule.EQUAL_SHARES_ADD1,
    ),
    project_group(
        "Zeleň a klima",
        "Greenery and climate",
        2_000_000,
        (100_000, 1_000_000),
        description="Rozdělte až 10 bodů, nejvýše 5 jednomu projektu.",
        description_en="Spread up to 10 points, at most 5 on one project.",
        ballot_rule=BallotRule.CUMULATIVE,
        max_points=10,
        max_points_per_project=5,
        tally_rule=TallyRule.GREEDY,
    ),
    project_group(
        "Sport a volný čas",
        "Sport and leisure",
        2_000_000,
        (100_000, 1_000_000),
        description="Metoda D21: tři kladné hlasy a jeden záporný, ten až po dvou kladných.",
        description_en="The D21 method: three plus votes and one minus, the minus after two plus.",
        **D21_RULE,
    ),
    project_group(
        "Vratislavice nad Nisou",
        "Vratislavice nad Nisou",
        600_000,
        (20_000, 400_000),
        description="Jen pro obyvatele Vratislavic: vyberte jeden nebo dva projekty.",
        description_en="Only for the residents of Vratislavice: choose one or two projects.",
        ballot_rule=BallotRule.APPROVAL,
        min_choices=1,
        max_choices=2,
        tally_rule=TallyRule.GREEDY,
        district="vratislavice",
    ),
]


@dataclass(frozen=True)
class PracticeProposal:
    group: int
    title: str
    summary: str
    district: str
    address: str
    costs: list[tuple[str, int]]
    author: str


# (group, title, summary, district, address, [(item, cost)], author)
PROPOSAL_ROWS = [
    (
        0,
        "Pítko na Soukenném náměstí",
        "Celoroční pítko s miskou pro psy u zastávky.",
        "stare-mesto",
        "Soukenné náměstí",
        [("Pítko a přípojka", 160_000)],
        "resident@example.cz",
    ),
    (
        0,
        "Lavičky podél Nisy v Rochlici",
        "Deset laviček s opěradlem na nábřeží.",
        "rochlice",
        "Nábřeží Nisy, Rochlice",
        [("Lavičky (10 ks)", 140_000), ("Koše", 25_000)],
        "petr.novak@example.cz",
    ),
    (
        0,
        "Hmyzí hotely do školních zahrad",
        "Pět hmyzích hotelů a záhony pro opylovače.",
        "ruprechtice",
        "ZŠ Ruprechtice",
        [("Hmyzí hotely", 60_000), ("Záhony", 40_000)],
        "jana.svobodova@example.cz",
    ),
    (
        0,
        "Veřejná knihovnička v Harcově",
        "Knihovnička pro výměnu knih u zastávky Harcov.",
        "harcov",
        "Zastávka Harcov",
        [("Knihovnička", 55_000)],
        "resident@example.cz",
    ),
    (
        0,
        "Osvětlení podchodu na Fügnerově",
        "Úsporné LED osvětlení tmavého podchodu.",
        "stare-mesto",
        "Fügnerova, podchod",
        [("Svítidla a kabeláž", 320_000)],
        "petr.novak@example.cz",
    ),
    (
        1,
        "Rekonstrukce hřiště v Králově Háji",
        "Nové povrchy, prolézačky a stín pro celé sídliště.",
        "rochlice",
        "Králův Háj",
        [("Herní prvky", 700_000), ("Povrchy", 500_000)],
        "jana.svobodova@example.cz",
    ),
    (
        1,
        "Cyklostezka Vesec – Doubí",
        "Chybějící úsek stezky podél železnice.",
        "vesec",
        "Vesec – Doubí",
        [("Stavba stezky", 1_500_000)],
        "petr.novak@example.cz",
    ),
    (
        1,
        "Zastřešené pódium v Lidových sadech",
        "Pódium pro koncerty a divadlo pod širým nebem.",
        "stare-mesto",
        "Lidové sady",
        [("Pódium a zastřešení", 900_000)],
        "resident@example.cz",
    ),
    (
        1,
        "Bezbariérový přístup k radnici",
        "Plošina a vodicí pásy pro nevidomé.",
        "stare-mesto",
        "Náměstí Dr. E. Beneše",
        [("Plošina", 450_000), ("Vodicí pásy", 150_000)],
        "jana.svobodova@example.cz",
    ),
    (
        1,
        "Skatepark v Ruprechticích",
        "Betonový skatepark pro začátečníky i pokročilé.",
        "ruprechtice",
        "Areál u Kunratické",
        [("Betonové prvky", 1_800_000), ("Zázemí", 400_000)],
        "petr.novak@example.cz",
    ),
    (
        2,
        "Sto stromů pro sídliště",
        "Výsadba stromů se závlahou na pěti sídlištích.",
        "rochlice",
        "Sídliště Rochlice a Broumovská",
        [("Stromy a péče", 600_000)],
        "resident@example.cz",
    ),
    (
        2,
        "Dešťová zahrada u školy",
        "Zasakovací záhon, který zadrží dešťovou vodu.",
        "frantiskov",
        "ZŠ Františkov",
        [("Terénní úpravy", 180_000), ("Rostliny", 70_000)],
        "jana.svobodova@example.cz",
    ),
    (
        2,
        "Zelená střecha zastávek",
        "Rozchodníkové střechy na deseti zastávkách MHD.",
        "stare-mesto",
        "Zastávky MHD",
        [("Střechy (10 ks)", 400_000)],
        "petr.novak@example.cz",
    ),
    (
        2,
        "Květnaté louky místo trávníků",
        "Přeměna sečených ploch na louky.",
        "horni-ruzodol",
        "Horní Růžodol",
        [("Osivo a příprava", 150_000)],
        "resident@example.cz",
    ),
    (
        3,
        "Workoutové hřiště u Vesce",
        "Venkovní posilovna pro všechny generace.",
        "vesec",
        "Vesec, u rybníka",
        [("Prvky", 280_000), ("Dopadová plocha", 90_000)],
        "jana.svobodova@example.cz",
    ),
    (
        3,
        "Pumptrack v Harcově",
        "Vlnitá dráha pro kola a koloběžky.",
        "harcov",
        "Harcov, louka u přehrady",
        [("Dráha", 650_000)],
        "petr.novak@example.cz",
    ),
    (
        3,
        "Kluziště na Sokolovském náměstí",
        "Zimní kluziště s půjčovnou bruslí.",
        "stare-mesto",
        "Sokolovské náměstí",
        [("Mobilní kluziště", 800_000)],
        "resident@example.cz",
    ),
    (
        3,
        "Pingpongové stoly v parcích",
        "Šest venkovních stolů ve třech parcích.",
        "frantiskov",
        "Parky Františkov a Rochlice",
        [("Stoly (6 ks)", 180_000)],
        "jana.svobodova@example.cz",
    ),
    (
        3,
        "Discgolfové hřiště na Ještědu",
        "Devět košů v lese pod Ještědem.",
        "horni-ruzodol",
        "Ještědský hřbet",
        [("Koše a odpaliště", 240_000)],
        "petr.novak@example.cz",
    ),
    (
        4,
        "Lávka přes Nisu u radnice",
        "Nová lávka mezi Tanvaldskou a parkem.",
        "vratislavice",
        "Tanvaldská – park",
        [("Lávka", 300_000)],
        "jana.svobodova@example.cz",
    ),
    (
        4,
        "Stolní tenis v parku Vratislavice",
        "Dva betonové stoly a lavičky.",
        "vratislavice",
        "Park u radnice Vratislavice",
        [("Stoly", 70_000), ("Lavičky", 30_000)],
        "petr.novak@example.cz",
    ),
    (
        4,
        "Stánky pro Vratislavický jarmark",
        "Sada skládacích stánků pro spolky.",
        "vratislavice",
        "Úřad městského obvodu",
        [("Stánky (10 ks)", 120_000)],
        "resident@example.cz",
    ),
]


PROPOSALS = [PracticeProposal(*row) for row in PROPOSAL_ROWS]


def load_voting_demo(now: datetime) -> bool:
    """Create the practice vote and its register unless it exists; True when it was created."""
    if db.session.scalar(select(Edition.id).where(Edition.slug == SLUG)) is not None:
        return False
    users = {u.email: u for u in db.session.scalars(select(User))}
    districts = {d.code: d for d in db.session.scalars(select(District))}
    today = now.astimezone(PRAGUE).date()
    fields = edition_fields(
        slug=SLUG,
        name="Zkušební hlasování participativního rozpočtu",
        name_en="Practice vote of the participatory budget",
        description=(
            "Vyzkoušejte si hlasování: každá skupina projektů používá jiný způsob, jaký znají "
            "česká a polská města – výběr projektů, sestavení rozpočtu, rozdělení bodů a metodu "
            "D21. Skupina Vratislavice nad Nisou je jen pro tamní obyvatele."
        ),
        description_en=(
            "Try out voting: each project group uses another method that Czech and Polish "
            "cities know – choosing projects, building a budget, spreading points and the D21 "
            "method. The Vratislavice nad Nisou group is for its residents only."
        ),
        total_budget=sum(g["budget"] for g in GROUPS),
        phases=(
            today - timedelta(days=120),
            today - timedelta(days=90),
            today - timedelta(days=40),
            today - timedelta(days=7),
            today + timedelta(days=21),
        ),
        eligibility_policy=EligibilityPolicy.REGISTRY,
    )
    admin = users.get("admin@example.cz")
    official = users.get("official@example.cz")
    edition = add_edition(fields, GROUPS, (), districts, admin=admin, now=now)
    justification = "Splňuje všechna kritéria."
    for number, item in enumerate(PROPOSALS, start=1):
        submitted = edition.submission_starts_at + timedelta(days=number)
        proposal = add_proposal(
            edition,
            number,
            item,
            author=users[item.author],
            districts=districts,
            status=ProposalStatus.ELIGIBLE,
            created_at=submitted,
            submitted_at=submitted,
        )
        reviewed_at = edition.review_starts_at + timedelta(days=number)
        review = add_review(
            proposal, official, ReviewDecision.ELIGIBLE, justification, reviewed_at=reviewed_at
        )
        record_review(proposal, review, now)
    # The city imports its register before voting opens (from then on it is frozen).
    before_voting = min(now, edition.voting_starts_at - timedelta(hours=1))
    import_registry(edition, demo_register_lines(), actor=admin, now=before_voting)
    db.session.flush()
    return True
