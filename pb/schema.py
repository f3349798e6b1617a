"""Every domain's models, imported in one place so that Alembic and the app see the whole schema."""

from pb.accounts import models as accounts_models
from pb.audit import models as audit_models
from pb.editions import districts
from pb.editions import models as editions_models
from pb.following import models as following_models
from pb.implementation import models as implementation_models
from pb.messaging import models as messaging_models
from pb.proposals import engagement
from pb.proposals import models as proposals_models
from pb.results import models as results_models
from pb.voting import bindings
from pb.voting import models as voting_models

MODEL_MODULES = (
    accounts_models,
    audit_models,
    districts,
    editions_models,
    following_models,
    implementation_models,
    messaging_models,
    engagement,
    proposals_models,
    results_models,
    voting_models,
    bindings,
)
