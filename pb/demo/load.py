"""The demo: Liberec's 4th participatory budget (2024) as the city ran it, and a current edition.

Loading is idempotent: whatever already exists (by slug, e-mail, code or number) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import select

from pb.accounts.models import STAFF_ROLES, Role, User
from pb.accounts.operations import hash_password
from pb.core.extensions import db
from pb.demo import implementation as demo_implementation
from pb.demo import results as demo_results
from pb.demo import voting as demo_voting
from pb.demo.liberec import (
    CRITERIA,
    D21_RULE,
    PRAGUE,
    GroupSpec,
    add_edition,
    add_proposal,
    add_review,
    criterion_checks,
    decision_entry,
    edition_fields,
    project_group,
    record,
    record_review,
)
from pb.editions.districts import District
from pb.editions.models import BallotRule, Edition, TallyRule
from pb.proposals.models import (
    Appeal,
    AppealDecision,
    Proposal,
    ProposalStatus,
    ReviewDecision,
)
from pb.voting import ballot_box

DEMO_PASSWORD = "demo-heslo-2024"

DEMO_ACCOUNTS = [
    ("admin@example.cz", "Alena Správcová", Role.ADMIN),
    ("official@example.cz", "Ondřej Úředník", Role.OFFICIAL),
    ("commission@example.cz", "Kateřina Komisařová", Role.COMMISSION),
    ("commission2@example.cz", "Karel Komisař", Role.COMMISSION),
    ("commission3@example.cz", "Klára Komisařová", Role.COMMISSION),
    ("resident@example.cz", "Radka Občanová", Role.RESIDENT),
    ("petr.novak@example.cz", "Petr Novák", Role.RESIDENT),
    ("jana.svobodova@example.cz", "Jana Svobodová", Role.RESIDENT),
]

DISTRICTS = [
    ("stare-mesto", "Staré Město"),
    ("ruprechtice", "Ruprechtice"),
    ("rochlice", "Rochlice"),
    ("vesec", "Vesec"),
    ("harcov", "Harcov"),
    ("frantiskov", "Františkov"),
    ("horni-ruzodol", "Horní Růžodol"),
    ("vratislavice", "Vratislavice nad Nisou"),
]


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # argon2id is slow by design; every demo account shares the one demo password.
    return hash_password(DEMO_PASSWORD)


@dataclass
class DemoProposal:
    title: str
    summary: str
    description: str
    group: int  # index into the edition's categories
    district: str | None
    address: str
    costs: list[tuple[str, int]]
    author: str
    status: ProposalStatus
    justification: str = ""
    failed_criterion: int | None = None
    appeal: tuple[str, AppealDecision, str] | None = None  # reason, decision, its justification
    extra: dict = field(default_factory=dict)


def _liberec_2024() -> tuple[dict, list[DemoProposal]]:
    edition = edition_fields(
        slug="liberec-2024",
        name="Participativní rozpočet Liberec 2024",
        name_en="Liberec Participatory Budget 2024",
        description=(
            "Čtvrtý ročník participativního rozpočtu statutárního města Liberec. O rozdělení "
            "10\u00a0000\u00a0000\u00a0Kč ve třech skupinách projektů rozhodli obyvatelé města hlasováním "
            "metodou D21: tři kladné hlasy a jeden záporný, ten až po dvou kladných."
        ),
        description_en=(
            "The fourth participatory budget of the City of Liberec. Residents decided how to "
            "spend CZK 10,000,000 in three project groups, voting by the D21 method: three plus "
            "votes and one minus vote, the minus only after two plus votes."
        ),
        total_budget=10_000_000,
        phases=(
            date(2024, 4, 1),
            date(2024, 6, 1),
            date(2024, 9, 16),
            date(2024, 10, 1),
            date(2024, 11, 1),
        ),
    )
    proposals = [
        DemoProposal(
            "Nové herní prvky na hřišti v Ruprechticích",
            "Obnova dosluhujícího dětského hřiště u ZŠ Ruprechtice o lanovou pyramidu a houpačky.",
            "Hřiště za školou slouží dětem z celého sídliště, ale prvky jsou z roku 1998 a dvě "
            "houpačky už byly odstraněny. Navrhujeme lanovou pyramidu, hnízdovou houpačku, "
            "dopadové plochy z kačírku a dvě lavičky pro rodiče.",
            0,
            "ruprechtice",
            "Truhlářská, u ZŠ Ruprechtice",
            [
                ("Lanová pyramida", 180_000),
                ("Hnízdová houpačka", 60_000),
                ("Dopadové plochy", 70_000),
                ("Lavičky a koše", 30_000),
            ],
            "petr.novak@example.cz",
            ProposalStatus.ELIGIBLE,
            "Návrh splňuje všechna kritéria; pozemek spravuje město, údržbu zajistí TSML.",
        ),
        DemoProposal(
            "Pítko u Harcovské přehrady",
            "Veřejné pítko s pitnou vodou u hráze Harcovské přehrady pro běžce a cyklisty.",
            "Kolem přehrady denně projdou stovky lidí a v létě tu chybí voda. Pítko napojíme na "
            "vodovodní řad v ulici Klostermannova; provoz od dubna do října.",
            0,
            "harcov",
            "Klostermannova, hráz přehrady",
            [("Pítko s antivandal úpravou", 95_000), ("Přípojka vody", 110_000)],
            "jana.svobodova@example.cz",
            ProposalStatus.ELIGIBLE,
            "Proveditelné; Severočeská vodárenská společnost souhlasí s přípojkou.",
        ),
        DemoProposal(
            "Stromořadí v Husově ulici",
            "Výsadba 24 lip podél Husovy ulice, která dnes v létě rozpálí celý chodník.",
            "Husova ulice je hlavní pěší trasa od tramvaje k nemocnici. Navrhujeme stromořadí se "
            "zálivkovými vaky a závlahovými koši; součástí je tříletá povýsadbová péče.",
            1,
            "stare-mesto",
            "Husova ulice",
            [
                ("Sazenice lip (24 ks)", 288_000),
                ("Stromové jámy a substrát", 240_000),
                ("Povýsadbová péče na 3 roky", 150_000),
            ],
            "resident@example.cz",
            ProposalStatus.ELIGIBLE,
            "Splňuje kritéria; trasa sítí ověřena, odbor životního prostředí doporučuje.",
        ),
        DemoProposal(
            "Osvětlení stezky podél Nisy",
            "Úsporné LED osvětlení cyklostezky mezi Textilanou a Svárovem.",
            "Úsek stezky je po setmění nebezpečný; navrhujeme 40 sloupů s pohybovými čidly, "
            "aby svítily jen tehdy, když někdo jde nebo jede.",
            1,
            "vesec",
            "Cyklostezka Nisa, úsek Textilana – Svárov",
            [("Sloupy a svítidla (40 ks)", 640_000), ("Kabelové vedení", 260_000)],
            "petr.novak@example.cz",
            ProposalStatus.ELIGIBLE,
            "Proveditelné; pozemky pod stezkou jsou ve vlastnictví města.",
        ),
        DemoProposal(
            "Krytý skatepark v hale Ještědská",
            "Přestavba nevyužívané haly na krytý skatepark s celoročním provozem.",
            "Liberec nemá krytý skatepark; hala v Ještědské ulici stojí prázdná. Návrh počítá s "
            "rampami, bowlem a zázemím.",
            2,
            None,
            "Ještědská 88",
            [("Rampy a bowl", 1_300_000), ("Úprava haly a zázemí", 850_000)],
            "jana.svobodova@example.cz",
            ProposalStatus.INELIGIBLE,
            "Náklady 2\u00a0150\u00a0000\u00a0Kč překračují horní mez skupiny (2\u00a0000\u00a0000\u00a0Kč) a hala není "
            "v majetku města.",
            failed_criterion=1,
            appeal=(
                "Nájem haly lze s vlastníkem sjednat na 20 let.",
                AppealDecision.REJECTED,
                "Komise námitku zamítá: i při nájmu zůstávají náklady nad limitem skupiny.",
            ),
        ),
        DemoProposal(
            "Komunitní zahrada v Rochlici",
            "Vyvýšené záhony, kompostér a sdílené nářadí pro obyvatele sídliště Rochlice.",
            "Zahradu bude spravovat spolek Rochlice sobě; město poskytne pozemek a vybavení.",
            0,
            "rochlice",
            "Dobiášova, vnitroblok",
            [
                ("Vyvýšené záhony (12 ks)", 84_000),
                ("Kompostéry a nářadí", 36_000),
                ("Oplocení a branka", 65_000),
            ],
            "resident@example.cz",
            ProposalStatus.INELIGIBLE,
            "Pozemek je podle katastru ve vlastnictví bytového družstva, nikoli města.",
            failed_criterion=1,
            appeal=(
                "Družstvo pozemek městu daruje; smlouva je schválena radou města.",
                AppealDecision.UPHELD,
                "Komise námitce vyhovuje: darovací smlouva je podepsána, pozemek bude městský.",
            ),
        ),
        DemoProposal(
            "Rekonstrukce schodiště na Jeřáb",
            "Oprava rozpadlého schodiště z Perštýna na vyhlídku Jeřáb.",
            "Kamenné schodiště je místy nepoužitelné; navrhujeme opravu 120 stupňů a zábradlí.",
            1,
            "stare-mesto",
            "Perštýn – Jeřáb",
            [("Oprava stupňů", 520_000), ("Zábradlí", 180_000)],
            "petr.novak@example.cz",
            ProposalStatus.WITHDRAWN,
        ),
    ]
    return edition, proposals


def _current_edition(today: date) -> tuple[dict, list[DemoProposal]]:
    # Dates follow today so that the site always shows a living edition, now in its review phase.
    submission_start = today - timedelta(days=70)
    review_start = today - timedelta(days=10)
    appeal_start = today + timedelta(days=50)
    voting_start = appeal_start + timedelta(days=21)
    edition = edition_fields(
        slug="liberec-2026",
        name="Participativní rozpočet Liberec 2026",
        name_en="Liberec Participatory Budget 2026",
        description=(
            "Pátý ročník: 10\u00a0000\u00a0000\u00a0Kč ve třech skupinách pro celé město a 600\u00a0000\u00a0Kč pro "
            "obyvatele Vratislavic nad Nisou, rozdělených metodou rovných podílů."
        ),
        description_en=(
            "The fifth edition: CZK 10,000,000 in three city-wide groups and CZK 600,000 for the "
            "residents of Vratislavice nad Nisou, shared out by the Method of Equal Shares."
        ),
        total_budget=10_600_000,
        phases=(
            submission_start,
            review_start,
            appeal_start,
            voting_start,
            voting_start + timedelta(days=31),
        ),
    )
    s, n, e, i = (
        ProposalStatus.SUBMITTED,
        ProposalStatus.NEEDS_CHANGES,
        ProposalStatus.ELIGIBLE,
        ProposalStatus.INELIGIBLE,
    )
    proposals = [
        DemoProposal(
            "Lavičky a stín na Sokolovském náměstí",
            "Osm laviček s opěradlem a čtyři stromy ve velkých nádobách.",
            "Náměstí je v létě rozpálené a chybí místo k sezení pro starší obyvatele.",
            0,
            "stare-mesto",
            "Sokolovské náměstí",
            [("Lavičky (8 ks)", 96_000), ("Stromy v nádobách (4 ks)", 120_000)],
            "resident@example.cz",
            e,
            "Splňuje všechna kritéria.",
        ),
        DemoProposal(
            "Knihobudka na Františkově",
            "Proměna staré telefonní budky v knihovnu pro výměnu knih.",
            "Budku opraví místní spolek; město zajistí povolení a nátěr.",
            0,
            "frantiskov",
            "Kašparova, u zastávky",
            [("Oprava budky a police", 42_000)],
            "jana.svobodova@example.cz",
            e,
            "Splňuje všechna kritéria.",
        ),
        DemoProposal(
            "Workoutové hřiště v Horním Růžodole",
            "Venkovní posilovací prvky pro mládež i seniory u sportovního areálu.",
            "Deset prvků pro různé věkové skupiny s informačními tabulemi o cvičení.",
            0,
            "horni-ruzodol",
            "Sportovní areál Horní Růžodol",
            [("Posilovací prvky", 260_000), ("Dopadová plocha", 90_000)],
            "petr.novak@example.cz",
            n,
            "Chybí situační plánek a vyjádření správce areálu; doplňte je prosím do termínu.",
        ),
        DemoProposal(
            "Sdílené nákladní kolo pro Vesec",
            "Dvě nákladní elektrokola k zapůjčení přes místní knihovnu.",
            "Kola poslouží k nákupům i stěhování drobností bez auta.",
            0,
            "vesec",
            "Pobočka knihovny Vesec",
            [("Nákladní elektrokola (2 ks)", 180_000), ("Uzamykatelný přístřešek", 60_000)],
            "resident@example.cz",
            s,
        ),
        DemoProposal(
            "Bezpečný přechod u ZŠ Kaplického",
            "Nasvícený přechod se středovým ostrůvkem na cestě do školy.",
            "Přechod přes čtyřproudou silnici je pro děti nebezpečný.",
            0,
            "rochlice",
            "Kaplického, u ZŠ",
            [("Ostrůvek a úprava obrub", 210_000), ("Nasvětlení přechodu", 140_000)],
            "jana.svobodova@example.cz",
            i,
            "Silnice je ve správě kraje; přechod nelze financovat z rozpočtu města.",
            failed_criterion=0,
        ),
        DemoProposal(
            "Mlhoviště v Lidových sadech",
            "Osvěžující mlžítka pro horké dny u dětského koutku.",
            "Úsporné rozprašování vody, spouštěné tlačítkem.",
            0,
            "stare-mesto",
            "Lidové sady",
            [("Mlhoviště", 150_000)],
            "petr.novak@example.cz",
            s,
        ),
        DemoProposal(
            "Obnova parku Clam-Gallasova",
            "Nové cesty, osvětlení a výsadba v zanedbaném parku u centra.",
            "Park slouží jako zkratka do centra, ale cesty jsou rozbité a večer je tma.",
            1,
            "stare-mesto",
            "Park Clam-Gallasova",
            [("Mlatové cesty", 420_000), ("Osvětlení", 280_000), ("Výsadba keřů", 150_000)],
            "resident@example.cz",
            e,
            "Splňuje všechna kritéria.",
        ),
        DemoProposal(
            "Přírodní koupací biotop ve Vesci",
            "Obnova rybníka v koupací biotop s mělkou zónou pro děti.",
            "Rybník je zanesený; návrh zahrnuje odbahnění, regenerační zónu a molo.",
            1,
            "vesec",
            "Vesecký rybník",
            [("Odbahnění", 380_000), ("Regenerační zóna", 320_000), ("Molo", 180_000)],
            "jana.svobodova@example.cz",
            s,
        ),
        DemoProposal(
            "Kryté stání pro kola u nádraží",
            "Uzamykatelné stání pro 60 kol u hlavního nádraží.",
            "Dojíždějící nemají kde bezpečně nechat kolo.",
            1,
            "stare-mesto",
            "Nádražní, před halou",
            [("Přístřešek", 450_000), ("Stojany a zámky", 170_000)],
            "petr.novak@example.cz",
            n,
            "Upřesněte prosím počet míst a doplňte vizualizaci; rozpočet přístřešku je nejasný.",
        ),
        DemoProposal(
            "Multifunkční sportoviště Ruprechtice",
            "Hřiště s umělým povrchem pro fotbal, basketbal a volejbal.",
            "Stávající asfaltová plocha je popraskaná a nebezpečná.",
            2,
            "ruprechtice",
            "Areál ZŠ Ruprechtice",
            [("Umělý povrch", 980_000), ("Oplocení a sítě", 420_000), ("Osvětlení", 360_000)],
            "resident@example.cz",
            s,
        ),
        DemoProposal(
            "Lávka přes Nisu ve Vratislavicích",
            "Nová lávka pro pěší mezi Tanvaldskou a parkem.",
            "Lávka zkrátí cestu do školy o 800 metrů.",
            3,
            "vratislavice",
            "Tanvaldská – park",
            [("Ocelová lávka", 240_000), ("Přístupové cesty", 50_000)],
            "jana.svobodova@example.cz",
            s,
        ),
        DemoProposal(
            "Stolní tenis v parku Vratislavice",
            "Dva betonové pingpongové stoly a lavičky.",
            "Oblíbené místo pro mládež nemá žádné vybavení.",
            3,
            "vratislavice",
            "Park u radnice Vratislavice",
            [("Stoly (2 ks)", 70_000), ("Lavičky", 30_000)],
            "petr.novak@example.cz",
            e,
            "Splňuje všechna kritéria.",
        ),
        DemoProposal(
            "Vratislavický jarmark – stánky",
            "Sada skládacích stánků pro spolky a trhy.",
            "Stánky půjčí úřad městského obvodu místním spolkům.",
            3,
            "vratislavice",
            "Úřad městského obvodu",
            [("Stánky (10 ks)", 120_000)],
            "resident@example.cz",
            s,
        ),
    ]
    return edition, proposals


def _categories_2024() -> list[GroupSpec]:
    return [
        project_group(
            "Malé projekty",
            "Small projects",
            3_000_000,
            (40_000, 400_000),
            **D21_RULE,
        ),
        project_group(
            "Velké projekty",
            "Large projects",
            5_000_000,
            (400_000, 1_000_000),
            **D21_RULE,
        ),
        project_group(
            "Extra velký projekt",
            "Extra-large project",
            2_000_000,
            (1_000_000, 2_000_000),
            **D21_RULE,
        ),
    ]


def _categories_2026() -> list[GroupSpec]:
    return _categories_2024() + [
        project_group(
            "Vratislavice nad Nisou",
            "Vratislavice nad Nisou",
            600_000,
            (20_000, 300_000),
            district="vratislavice",
            ballot_rule=BallotRule.APPROVAL,
            min_choices=1,
            max_choices=3,
            tally_rule=TallyRule.EQUAL_SHARES_ADD1,
            description="Skupina jen pro obyvatele městského obvodu Vratislavice nad Nisou.",
            description_en="A group only for the residents of Vratislavice nad Nisou.",
        ),
    ]


# The demo's staff accounts sign in with two factors like any staff account; their TOTP secret is
# this published one (README: add it to an authenticator app, or run `flask pb demo-code`). The
# demo refuses to load in production, so no real deployment has an account with this secret.
DEMO_TOTP_SECRET = "PBDEMOPBDEMOPBDEMOPBDEMOPBDEMO23"


def load_demo(now: datetime) -> dict[str, int]:
    """Create whatever of the demo is missing; returns how many rows of each kind were added."""
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("The demo has published passwords and TOTP secrets: not in production.")
    added = {"accounts": 0, "districts": 0, "editions": 0, "proposals": 0}
    users = {}
    for email, name, role in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                name=name,
                role=role,
                password_hash=_demo_password_hash(),
                email_confirmed_at=now,
                totp_secret=DEMO_TOTP_SECRET if role in STAFF_ROLES else None,
            )
            db.session.add(user)
            added["accounts"] += 1
        users[email] = user
    districts = {}
    for code, name in DISTRICTS:
        district = db.session.scalar(select(District).where(District.code == code))
        if district is None:
            district = District(code=code, name=name)
            db.session.add(district)
            added["districts"] += 1
        districts[code] = district
    db.session.flush()

    local_today = now.astimezone(PRAGUE).date()
    for (fields, proposals), categories in (
        (_liberec_2024(), _categories_2024()),
        (_current_edition(local_today), _categories_2026()),
    ):
        if db.session.scalar(select(Edition).where(Edition.slug == fields["slug"])):
            continue
        admin = users["admin@example.cz"]
        edition = add_edition(fields, categories, CRITERIA, districts, admin=admin, now=now)
        for number, item in enumerate(proposals, start=1):
            _create_proposal(edition, number, item, districts, users, now)
        added["editions"] += 1
        added["proposals"] += len(proposals)
    demo_voting.load_voting_demo(now)  # the practice vote, open today (its own module)
    _demo_key_ceremonies(users, now)  # before any demo ballot is sealed
    added["proposals"] += demo_results.load_counting_demo(now)["proposals"]  # 2024 voted
    added["proposals"] += demo_implementation.load_implementation_demo(now)  # 2023 being built
    db.session.flush()
    if any(added.values()):
        # Publish the audit log's head and each edition's phase, as the city's cron job would.
        from pb.editions.operations import anchor_phase_changes

        anchor_phase_changes(now)
    return added


def _demo_key_ceremonies(users, now: datetime) -> None:
    """Every demo edition gets its election key by the same ceremony a commission holds, but from
    the documented demo-only seed (`ballot_box.DEMO_SEED`), so that the README can list the demo
    commission's three shares and anyone can open the demo's ballot boxes with two of them."""
    members = [u for u in users.values() if u.role == Role.COMMISSION]
    for member in members:
        if ballot_box.member_key(member) is None:
            ballot_box.create_member_key(member, DEMO_PASSWORD, now=now)
    chair = users["commission@example.cz"]
    for edition in db.session.scalars(select(Edition).order_by(Edition.id)):
        # An edition already counted (Liberec 2023, whose box the story never sealed) gets none.
        if ballot_box.ballot_box(edition.id) is None and edition.count_started_at is None:
            ballot_box.hold_ceremony(
                edition, actor=chair, now=now, demo_seed=ballot_box.DEMO_SEED, check_phase=False
            )


def _create_proposal(edition, number, item: DemoProposal, districts, users, now) -> Proposal:
    # Audit entries carry the time they were written (now); the story's own dates are in the rows.
    submitted_at = edition.submission_starts_at + timedelta(days=3 * number)
    proposal = add_proposal(
        edition,
        number,
        item,
        author=users[item.author],
        districts=districts,
        status=item.status,
        created_at=submitted_at - timedelta(days=1),
        submitted_at=submitted_at,
        description=item.description,
    )
    reviewed = item.status in (
        ProposalStatus.ELIGIBLE,
        ProposalStatus.INELIGIBLE,
        ProposalStatus.NEEDS_CHANGES,
    )
    if not reviewed:
        return proposal
    official = users["official@example.cz"]
    reviewed_at = edition.review_starts_at + timedelta(days=number, hours=10)
    first_decision = {
        ProposalStatus.ELIGIBLE: ReviewDecision.ELIGIBLE,
        ProposalStatus.NEEDS_CHANGES: ReviewDecision.NEEDS_CHANGES,
        ProposalStatus.INELIGIBLE: ReviewDecision.INELIGIBLE,
    }[item.status]
    if item.appeal:  # the review that was appealed ruled the proposal ineligible
        first_decision = ReviewDecision.INELIGIBLE
    review = add_review(
        proposal,
        official,
        first_decision,
        item.justification,
        reviewed_at=reviewed_at,
        checks=criterion_checks(edition, item.failed_criterion, item.justification),
    )
    if first_decision == ReviewDecision.NEEDS_CHANGES:
        proposal.changes_deadline = edition.review_starts_at + timedelta(days=30)
    record_review(proposal, review, now)
    if item.appeal:
        reason, decision, justification = item.appeal
        decided_at = edition.appeal_starts_at + timedelta(days=5)
        commission = users["commission@example.cz"]
        proposal.appeal = Appeal(
            reason=reason,
            submitted_at=edition.appeal_starts_at + timedelta(days=1),
            decision=decision,
            justification=justification,
            decided_by_id=commission.id,
            decided_at=decided_at,
        )
        if decision == AppealDecision.UPHELD:
            proposal.move_to(ProposalStatus.ELIGIBLE)
        ruling = ProposalStatus.INELIGIBLE  # the ruling the appeal was against
        record(
            decision_entry(commission, "appeal.decide", proposal, ruling, decision, justification),
            now,
        )
    return proposal
