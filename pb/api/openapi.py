"""What the OpenAPI 3.0 document (served at /api/v1/openapi.json) says by hand: its info and the
problem+json error. Every path and answer is added from the endpoints' models by
`pb.api.schema_driven.extend_document`."""

from __future__ import annotations

from typing import Any

STRING = {"type": "string"}

# RFC 9457 problem details; `error` and `message` repeat title and detail for older clients.
# Written by hand because the one error map (`pb.core.web_errors`) makes it without a model.
ERROR = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "error", "message"],
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer"},
        "detail": STRING,
        "field": STRING,
        "error": STRING,
        "message": STRING,
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Participatory budget: public data",
            "version": "1.0.0",
            "description": "Read-only open data: editions, project groups, proposals with their "
            "review, and published results. Nothing about vote counts is available before the "
            "results are published.",
        },
        "paths": {},
        "components": {"schemas": {"Error": ERROR}},
    }
