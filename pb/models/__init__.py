"""All models, imported here so that Alembic and the app see the whole schema."""

from pb.models.audit import AuditEntry
from pb.models.district import District
from pb.models.edition import (
    BallotRule,
    Category,
    Criterion,
    Edition,
    EligibilityPolicy,
    IdScheme,
    Phase,
    TallyRule,
)
from pb.models.engagement import Attachment, Support
from pb.models.outbox import OutboxMessage
from pb.models.proposal import (
    PUBLIC_STATUSES,
    Appeal,
    AppealDecision,
    CostItem,
    CriterionCheck,
    Proposal,
    ProposalStatus,
    Review,
    ReviewDecision,
)
from pb.models.result import Result, ResultApproval, ResultStatus
from pb.models.user import Role, User
from pb.models.voting import (
    Ballot,
    BallotChoice,
    Channel,
    OneTimeCode,
    Participation,
    RefusedAttempt,
    VoterRegistryEntry,
)

__all__ = [
    "PUBLIC_STATUSES",
    "Appeal",
    "Attachment",
    "AppealDecision",
    "AuditEntry",
    "Ballot",
    "BallotChoice",
    "BallotRule",
    "Category",
    "Channel",
    "CostItem",
    "Criterion",
    "CriterionCheck",
    "District",
    "Edition",
    "EligibilityPolicy",
    "IdScheme",
    "OneTimeCode",
    "OutboxMessage",
    "Participation",
    "Phase",
    "Proposal",
    "ProposalStatus",
    "RefusedAttempt",
    "Result",
    "ResultApproval",
    "ResultStatus",
    "Review",
    "ReviewDecision",
    "Role",
    "Support",
    "TallyRule",
    "User",
    "VoterRegistryEntry",
]
