"""The pieces that let one Pydantic model both check an API answer and describe it."""

from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from pb.api.schema_driven import PLAIN_TEXT, Param, _parameters, fields_of


class Answer(BaseModel):
    name: str
    phase: str


def test_fields_of_reads_each_field_from_the_attribute_of_that_name_unless_given():
    source = SimpleNamespace(name="Liberec", phase=None, secret="not in the answer")
    assert fields_of(Answer, source, phase="voting") == {"name": "Liberec", "phase": "voting"}


def test_fields_of_refuses_a_given_field_the_answer_does_not_have():
    with pytest.raises(TypeError, match="Answer has no fields \\['phse'\\]"):
        fields_of(Answer, SimpleNamespace(name="x", phase="y"), phse="voting")


def test_path_parameters_come_from_the_rule_and_a_given_one_replaces_its_namesake():
    page = Param("page", "query", {"type": "integer"})
    number_from_zero = Param("number", "path", {"type": "integer", "minimum": 0})
    assert _parameters("/editions/<slug>/proposals/<int:number>", [page]) == [
        Param("slug", "path", PLAIN_TEXT),
        Param("number", "path", {"type": "integer", "minimum": 1}),
        page,
    ]
    assert _parameters("/editions/<slug>/x/<int:number>", [number_from_zero])[1] == (
        number_from_zero
    )
