"""The counting demo: Liberec 2024 has finished voting with a few thousand consistent ballots."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select

from pb.audit.chain import verify_chain
from pb.audit.models import AuditEntry
from pb.core.extensions import db
from pb.demo.results import load_counting_demo
from pb.editions.models import Edition, Phase
from pb.proposals.models import Proposal, ProposalStatus
from pb.results.models import Result
from pb.voting.models import (
    Ballot,
    BallotChoice,
    Channel,
    Envelope,
    Participation,
    RefusedAttempt,
    VoterRegistryEntry,
)
from tests.factories_results import NOW, open_demo_box


def of_2024(model):
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    count = db.session.scalar(
        select(func.count()).select_from(model).where(model.edition_id == edition.id)
    )
    return edition, count


def test_liberec_2024_has_finished_voting_with_consistent_ballots(
    app, backend, demo_templates, app_config
):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    edition, sealed = of_2024(Envelope)
    assert of_2024(Ballot)[1] == 0  # sealed until two members open the box
    assert open_demo_box() == sealed
    edition, ballots = of_2024(Ballot)
    _, participations = of_2024(Participation)
    _, registry = of_2024(VoterRegistryEntry)
    assert edition.phase_at(NOW) == Phase.COUNTING  # ready to count, nothing published
    assert of_2024(Result)[1] == 0
    assert ballots == participations and 2_000 <= ballots <= 5_000
    assert registry > 20 * ballots  # a city's register: turnout has a denominator
    voter_keys = set(
        db.session.scalars(
            select(Participation.voter_key).where(Participation.edition_id == edition.id)
        )
    )
    registered = set(
        db.session.scalars(
            select(VoterRegistryEntry.voter_key).where(VoterRegistryEntry.edition_id == edition.id)
        )
    )
    assert voter_keys <= registered

    # Every group has enough eligible proposals to compete for its budget.
    for category in edition.categories:
        eligible = list(
            db.session.scalars(
                select(Proposal).where(
                    Proposal.category_id == category.id, Proposal.status == ProposalStatus.ELIGIBLE
                )
            )
        )
        assert len(eligible) >= 3, category.name
        assert sum(p.total_cost for p in eligible) > category.budget, category.name

    # Every ballot keeps the D21 rule in every group it marks, and marks only eligible proposals.
    eligible_ids = {
        p.id: p.category_id
        for p in db.session.scalars(
            select(Proposal).where(
                Proposal.edition_id == edition.id, Proposal.status == ProposalStatus.ELIGIBLE
            )
        )
    }
    marks = defaultdict(lambda: defaultdict(list))
    for ballot_id, proposal_id, category_id, value in db.session.execute(
        select(
            BallotChoice.ballot_id,
            BallotChoice.proposal_id,
            BallotChoice.category_id,
            BallotChoice.value,
        )
        .join(Ballot)
        .where(Ballot.edition_id == edition.id)
    ):
        assert eligible_ids[proposal_id] == category_id
        marks[ballot_id][category_id].append(value)
    assert len(marks) == ballots  # no ballot without a mark
    for groups in marks.values():
        for values in groups.values():
            plus, minus = values.count(1), values.count(-1)
            assert set(values) <= {1, -1}
            assert plus <= 3 and minus <= 1 and (minus == 0 or plus >= 2)

    # Participations: in the voting window, with districts and plausible ages; paper ones have
    # their polling place in the audit log; online ones a network bucket.
    rows = db.session.execute(
        select(
            Participation.channel,
            Participation.voted_at,
            Participation.birth_year,
            Participation.district_id,
            Participation.network_bucket,
        ).where(Participation.edition_id == edition.id)
    ).all()
    channels = Counter(r.channel for r in rows)
    assert 0.03 < channels[Channel.PAPER] / len(rows) < 0.2
    for row in rows:
        assert edition.voting_starts_at <= row.voted_at < edition.voting_ends_at
        assert 15 <= 2024 - row.birth_year <= 100 and row.district_id is not None
        assert (row.network_bucket is None) == (row.channel == Channel.PAPER)
    logged = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "paper.check_in", AuditEntry.object_id == str(edition.id))
    )
    assert logged == channels[Channel.PAPER]
    _, refused = of_2024(RefusedAttempt)
    assert refused > 100
    assert verify_chain().intact


def test_the_counting_demo_loads_once(app, backend, demo_templates, app_config):
    demo_templates.install(NOW, app_config)  # load_demo(NOW), built once for the session
    again = load_counting_demo(NOW)
    db.session.commit()
    assert again == {"proposals": 0, "registry": 0, "ballots": 0}
    _, ballots = of_2024(Envelope)
    _, participations = of_2024(Participation)
    assert ballots == participations
