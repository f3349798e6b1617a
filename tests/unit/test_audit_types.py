"""An entry's object type is part of its hash: each audited model names it as the log always has,
whatever its table is called."""

from pb.accounts.models import User
from pb.audit.chain import Subject
from pb.editions.models import Category, Criterion, Edition
from pb.implementation.models import Department, Implementation
from pb.proposals.models import ExclusivePair, Proposal
from pb.results.models import Result


def test_every_audited_model_keeps_the_type_its_entries_have_always_carried():
    assert {
        model.__name__: model.audit_type
        for model in (
            User,
            Edition,
            Category,
            Criterion,
            Proposal,
            ExclusivePair,
            Result,
            Department,
            Implementation,
        )
    } == {
        "User": "user",  # its table is user_account
        "Edition": "edition",
        "Category": "category",
        "Criterion": "criterion",
        "Proposal": "proposal",
        "ExclusivePair": "exclusive_pair",
        "Result": "result",
        "Department": "department",
        "Implementation": "implementation",
    }


def test_a_subject_names_an_object_by_type_and_id_without_its_instance():
    subject = Subject(Edition.audit_type, 7)
    assert (subject.audit_type, subject.id) == ("edition", 7)
