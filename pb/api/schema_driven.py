"""Endpoints whose answers and OpenAPI description come from one set of Pydantic models.

`endpoint(...)` registers a Flask route, validates what the view returns through its response
model, and records the path, parameters and model for the document, with the view's docstring as
the operation's summary (first paragraph) and description (the rest): there is no second,
hand-written description that could drift. `extend_document` merges these paths and the models'
JSON Schemas (converted to OpenAPI 3.0: nullable instead of a null type) into the hand-written
rest of the document (info, the problem+json schema) in `pb.api.openapi`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import cleandoc
from typing import Annotated, Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

REF = "#/components/schemas/{model}"
# Parameters are text without control characters (a NUL byte is refused with 400).
PLAIN_TEXT = {"type": "string", "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


# The numbers the answers' models share
Money = Annotated[int, Field(ge=0, description="Whole currency units")]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]


@dataclass
class Endpoint:
    path: str  # OpenAPI form: /api/v1/editions/{slug}/...
    operation_id: str
    summary: str
    model: type[BaseModel]
    params: list[Param] = field(default_factory=list)
    not_found: str | None = "No such edition"  # None: the operation has no 404 to describe
    media: str = "application/json"
    description: str = ""


_endpoints: list[Endpoint] = []


RULE_ARGUMENT = re.compile(r"<(?:([a-z]+):)?([a-z_]+)>")


def _openapi_path(bp: Blueprint, rule: str) -> str:
    """/editions/<slug>/proposals/<int:number> under /api/v1 -> /api/v1/editions/{slug}/..."""
    return (bp.url_prefix or "") + RULE_ARGUMENT.sub(r"{\2}", rule)


def _parameters(rule: str, given: list[Param]) -> list[Param]:
    """The rule's path arguments (a number from 1, or plain text), then the query parameters;
    a parameter given by name replaces the one read from the rule."""
    by_name = {p.name: p for p in given}
    from_rule = [
        by_name.pop(
            name,
            Param(name, "path", {"type": "integer", "minimum": 1} if kind == "int" else PLAIN_TEXT),
        )
        for kind, name in RULE_ARGUMENT.findall(rule)
    ]
    return from_rule + list(by_name.values())


def _summary_and_description(view: Callable) -> tuple[str, str]:
    """The docstring's first paragraph and the rest, each paragraph on one line."""
    paragraphs = [" ".join(p.split()) for p in cleandoc(view.__doc__ or "").split("\n\n")]
    return paragraphs[0], "\n\n".join(paragraphs[1:])


def endpoint(
    bp: Blueprint,
    rule: str,
    *,
    operation_id: str,
    model: type[BaseModel],
    params: list[Param] | None = None,
    not_found: str | None = "No such edition",
    media: str = "application/json",
) -> Callable:
    """Route `rule` on `bp`; the view returns data that `model` validates and serialises.

    Only the fields the view gave are answered: a field with a default that the data lacks (a
    turnout cell without district names) stays absent rather than appearing with a made-up value."""

    def decorate(view: Callable) -> Callable:
        summary, description = _summary_and_description(view)
        if not summary:
            raise TypeError(f"{view.__name__}: its docstring is the API's description of it")
        spec = Endpoint(
            _openapi_path(bp, rule),
            operation_id,
            summary,
            model,
            _parameters(rule, params or []),
            not_found,
            media,
            description,
        )
        if all(e.operation_id != operation_id for e in _endpoints):
            _endpoints.append(spec)

        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any):
            body = model.model_validate(view(*args, **kwargs)).model_dump(
                mode="json", exclude_unset=True
            )
            response = jsonify(body)
            response.mimetype = media
            return response

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=answer, methods=["GET"])
        return answer

    return decorate


def fields_of(model: type[BaseModel], source: object, **given: Any) -> dict[str, Any]:
    """The fields of `model`, each read from the attribute of that name on `source` unless
    given: the model alone lists an answer's fields, a view says only what it computes."""
    if unknown := given.keys() - model.model_fields.keys():
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    return {
        name: given[name] if name in given else getattr(source, name) for name in model.model_fields
    }


def _to_openapi30(node: Any) -> Any:
    """JSON Schema 2020-12 as Pydantic writes it, in the OpenAPI 3.0 dialect."""
    if isinstance(node, list):
        return [_to_openapi30(n) for n in node]
    if not isinstance(node, dict):
        return node
    # "title" annotations go (a property called "title" is a schema, not a string, and stays)
    # so do defaults: an answer always says its value, and a missing one is not the default
    node = {
        k: _to_openapi30(v)
        for k, v in node.items()
        if not (k == "title" and isinstance(v, str))
        and not (k == "default" and not isinstance(v, dict))
    }
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if options and any(o.get("type") == "null" for o in options):
            rest = [o for o in options if o.get("type") != "null"]
            node.pop(key)
            if len(rest) == 1 and "$ref" not in rest[0]:
                node.update(rest[0])
            else:
                node["allOf" if len(rest) == 1 else key] = rest
            node["nullable"] = True
    if "$ref" in node and len(node) > 1:  # 3.0 ignores siblings of $ref
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    if node.get("type") == "array" and "prefixItems" in node:
        items = node.pop("prefixItems")
        node["items"] = items[0]
    return node


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (e.model, "serialization") for e in _endpoints
    ]
    _, top = models_json_schema(models, ref_template=REF)
    return {name: _to_openapi30(schema) for name, schema in top.get("$defs", {}).items()}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def extend_document(document: dict[str, Any]) -> dict[str, Any]:
    paths = document.setdefault("paths", {})
    for spec in _endpoints:
        responses = {
            "200": {
                "description": spec.summary,
                "content": {
                    spec.media: {"schema": {"$ref": REF.format(model=spec.model.__name__)}}
                },
            },
        }
        if spec.not_found is not None:
            responses["404"] = _problem(spec.not_found)
        if any(p.where == "query" for p in spec.params):
            responses["400"] = _problem("A parameter is not valid; the message says which")
        paths[spec.path] = {
            "get": {
                "operationId": spec.operation_id,
                "summary": spec.summary,
                **({"description": spec.description} if spec.description else {}),
                "parameters": [
                    {
                        "name": p.name,
                        "in": p.where,
                        "required": p.required or p.where == "path",
                        "schema": p.schema,
                        **({"description": p.description} if p.description else {}),
                    }
                    for p in spec.params
                ],
                "responses": responses,
            }
        }
    document.setdefault("components", {}).setdefault("schemas", {}).update(_schemas())
    return document
