"""The OpenAPI 3.0 description of the public, read-only API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from pb.editions.models import BallotRule, Phase, TallyRule
from pb.proposals.models import PUBLIC_STATUSES


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
MONEY = {"type": "integer", "minimum": 0, "description": "Whole currency units"}
DATETIME = {"type": "string", "format": "date-time"}
# Parameters are text without control characters (a NUL byte is refused with 400).
PLAIN_TEXT = {"type": "string", "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}

# RFC 9457 problem details; `error` and `message` repeat title and detail for older clients.
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

EDITION_SUMMARY = {
    "type": "object",
    "required": ["slug", "name", "currency", "total_budget", "phase"],
    "properties": {
        "slug": STRING,
        "name": STRING,
        "name_en": _nullable(STRING),
        "currency": STRING,
        "total_budget": MONEY,
        "phase": {"type": "string", "enum": [p.value for p in Phase]},
    },
}

CATEGORY = {
    "type": "object",
    "required": ["id", "name", "budget", "min_project_cost", "max_project_cost", "ballot_rule"],
    "properties": {
        "id": INTEGER,
        "name": STRING,
        "name_en": _nullable(STRING),
        "budget": MONEY,
        "min_project_cost": MONEY,
        "max_project_cost": MONEY,
        "district": _nullable(STRING),
        "ballot_rule": {"type": "string", "enum": [r.value for r in BallotRule]},
        "ballot_parameters": {"type": "object", "additionalProperties": INTEGER},
        "tally_rule": {"type": "string", "enum": [r.value for r in TallyRule]},
        "score_threshold": _nullable(INTEGER),
        "points_by_rank": _nullable({"type": "array", "items": INTEGER}),
        "reserve_percent": _nullable(INTEGER),
    },
}

EDITION_DETAIL = {
    "allOf": [
        {"$ref": "#/components/schemas/EditionSummary"},
        {
            "type": "object",
            "required": ["schedule", "categories", "criteria", "eligibility_policy"],
            "properties": {
                "description": STRING,
                "description_en": _nullable(STRING),
                "eligibility_policy": {
                    "type": "string",
                    "enum": ["registry", "declaration", "contact"],
                },
                "min_voter_age": _nullable(INTEGER),
                "schedule": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["phase", "starts_at"],
                        "properties": {
                            "phase": STRING,
                            "starts_at": DATETIME,
                            "ends_at": _nullable(DATETIME),
                        },
                    },
                },
                "results_published_at": _nullable(DATETIME),
                "categories": {"type": "array", "items": {"$ref": "#/components/schemas/Category"}},
                "criteria": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": STRING, "name_en": _nullable(STRING)},
                    },
                },
            },
        },
    ]
}

PROPOSAL_SUMMARY = {
    "type": "object",
    "required": ["number", "title", "summary", "category_id", "status", "total_cost"],
    "properties": {
        "number": INTEGER,
        "title": STRING,
        "summary": STRING,
        "category_id": INTEGER,
        "district": _nullable(STRING),
        "status": {"type": "string", "enum": [s.value for s in PUBLIC_STATUSES]},
        "total_cost": MONEY,
    },
}

PROPOSAL_DETAIL = {
    "allOf": [
        {"$ref": "#/components/schemas/ProposalSummary"},
        {
            "type": "object",
            "required": ["description", "cost_items", "reviews"],
            "properties": {
                "description": STRING,
                "address": STRING,
                "latitude": _nullable({"type": "number"}),
                "longitude": _nullable({"type": "number"}),
                "submitted_at": _nullable(DATETIME),
                "cost_items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "amount"],
                        "properties": {"name": STRING, "amount": MONEY},
                    },
                },
                "reviews": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["decision", "justification", "decided_at", "criteria"],
                        "properties": {
                            "decision": {
                                "type": "string",
                                "enum": ["eligible", "needs_changes", "ineligible"],
                            },
                            "justification": STRING,
                            "decided_at": DATETIME,
                            "criteria": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "criterion_id": INTEGER,
                                        "passed": {"type": "boolean"},
                                        "note": STRING,
                                    },
                                },
                            },
                        },
                    },
                },
                "appeal": _nullable(
                    {
                        "type": "object",
                        "properties": {
                            "reason": STRING,
                            "submitted_at": DATETIME,
                            "decision": _nullable(
                                {"type": "string", "enum": ["upheld", "rejected"]}
                            ),
                            "justification": _nullable(STRING),
                            "decided_at": _nullable(DATETIME),
                        },
                    }
                ),
            },
        },
    ]
}

PROPOSAL_PAGE = {
    "type": "object",
    "required": ["items", "total", "page", "pages"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/ProposalSummary"}},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
    },
}


# --- published results ----------------------------------------------------------------------

NUMBER_OR_FRACTION = {
    "oneOf": [INTEGER, {"type": "string", "pattern": "^-?[0-9]+/[0-9]+$"}],
    "description": "A whole number, or an exact fraction written p/q",
}

REASON = {
    "type": "object",
    "required": ["code", "values", "text"],
    "properties": {
        "code": {"type": "string", "description": "Why: selected, did_not_fit, ..."},
        "values": {
            "type": "object",
            "additionalProperties": {"oneOf": [INTEGER, STRING]},
            "description": "The numbers behind the reason; money in whole currency units, "
            "fractions as p/q",
        },
        "text": {"type": "string", "description": "The reason in English"},
    },
}

TURNOUT_CELL = {
    "type": "object",
    "required": ["keys", "voters", "registry"],
    "properties": {
        "keys": {
            "type": "array",
            "items": STRING,
            "description": "What the cell covers; more than one key when small cells were merged",
        },
        "names": {"type": "array", "items": STRING},
        "voters": {"type": "integer", "minimum": 0},
        "registry": _nullable({"type": "integer", "minimum": 0}),
    },
}

TURNOUT = {
    "type": "object",
    "required": ["voters", "registry", "small_cell", "by_channel", "by_district", "by_age"],
    "properties": {
        "voters": {"type": "integer", "minimum": 0},
        "registry": _nullable({"type": "integer", "minimum": 0}),
        "small_cell": {
            "type": "integer",
            "description": "No cell describes fewer people; smaller ones are merged",
        },
        "min_age": INTEGER,
        "by_channel": {"type": "array", "items": {"$ref": "#/components/schemas/TurnoutCell"}},
        "by_district": {"type": "array", "items": {"$ref": "#/components/schemas/TurnoutCell"}},
        "by_age": {"type": "array", "items": {"$ref": "#/components/schemas/TurnoutCell"}},
    },
}

RESULT_PROJECT = {
    "type": "object",
    "required": ["number", "title", "cost", "score", "selected", "reason"],
    "properties": {
        "number": INTEGER,
        "title": STRING,
        "cost": MONEY,
        "score": NUMBER_OR_FRACTION,
        "supporters": {"type": "integer", "minimum": 0},
        "opponents": {"type": "integer", "minimum": 0, "description": "Minus votes (plus-minus)"},
        "selected": {"type": "boolean"},
        "withdrawn": {"type": "boolean"},
        "funded_from_reserve": {
            "type": "boolean",
            "description": "Funded from the reserve, outside the budget (greedy-custom)",
        },
        "reason": {"$ref": "#/components/schemas/Reason"},
    },
}

RESULT_GROUP = {
    "type": "object",
    "required": [
        "category_id",
        "name",
        "budget",
        "rule",
        "voters",
        "spent",
        "selected",
        "projects",
    ],
    "properties": {
        "category_id": INTEGER,
        "name": STRING,
        "name_en": _nullable(STRING),
        "district": _nullable(STRING),
        "budget": MONEY,
        "ballot_rule": {"type": "string", "enum": [r.value for r in BallotRule]},
        "rule": {"type": "string", "enum": [r.value for r in TallyRule]},
        "vote_type": STRING,
        "threshold": _nullable(INTEGER),
        "tie_break": STRING,
        "voters": {"type": "integer", "minimum": 0},
        "spent": MONEY,
        "money_left": MONEY,
        "selected": {
            "type": "array",
            "items": INTEGER,
            "description": "Numbers of the funded proposals, in the order they were funded",
        },
        "funded_from_reserve": {
            "type": "array",
            "items": INTEGER,
            "description": "Numbers of the proposals funded from the reserve (greedy-custom), "
            "not in selected and not in spent",
        },
        "reserve_share": _nullable(NUMBER_OR_FRACTION),
        "points_by_rank": _nullable({"type": "array", "items": INTEGER}),
        "exclusive_pairs": {
            "type": "array",
            "items": {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2},
            "description": "Pairs of proposal numbers that cannot both be carried out",
        },
        "projects": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ResultProject"},
            "description": "Every project, in the order the rule considered it",
        },
        "pabulib_url": {"type": "string", "description": "The group's anonymous ballots (.pb)"},
    },
}

AUDIT_HEAD = {
    "type": "object",
    "required": ["seq", "entry_hash"],
    "properties": {
        "seq": {"type": "integer", "minimum": 0},
        "entry_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}

AUDIT_ANCHOR = {
    "type": "object",
    "required": ["seq", "entry_hash", "reason", "edition", "phase", "published_at"],
    "properties": {
        "seq": {"type": "integer", "minimum": 0},
        "entry_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "reason": {
            "type": "string",
            "enum": ["phase", "scheduled", "count", "publication", "voting_extended"],
        },
        "edition": _nullable(STRING),
        "phase": _nullable(STRING),
        "published_at": DATETIME,
    },
}

AUDIT_HEADS = {
    "type": "object",
    "required": ["current", "published"],
    "properties": {
        "current": {"$ref": "#/components/schemas/AuditHead"},
        "published": {"type": "array", "items": {"$ref": "#/components/schemas/AuditAnchor"}},
    },
}

AUDIT_ENTRY = {
    "type": "object",
    "required": [
        "seq",
        "created_at",
        "action",
        "object_type",
        "object_id",
        "body_sha256",
        "prev_hash",
        "entry_hash",
    ],
    "properties": {
        "seq": {"type": "integer", "minimum": 1},
        "created_at": DATETIME,
        "action": STRING,
        "object_type": STRING,
        "object_id": STRING,
        "body_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "entry_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}

RESULT = {
    "type": "object",
    "required": [
        "edition",
        "version",
        "status",
        "published_at",
        "snapshot_sha256",
        "turnout",
        "groups",
    ],
    "properties": {
        "edition": STRING,
        "version": {"type": "integer", "minimum": 1},
        "status": {"type": "string", "enum": ["published", "superseded"]},
        "counted_at": DATETIME,
        "published_at": DATETIME,
        "correction_reason": _nullable(STRING),
        "snapshot_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "currency": STRING,
        "ballots": {"type": "integer", "minimum": 0},
        "audit_head": {"$ref": "#/components/schemas/AuditHead"},
        "turnout": {"$ref": "#/components/schemas/Turnout"},
        "groups": {"type": "array", "items": {"$ref": "#/components/schemas/ResultGroup"}},
        "downloads": {
            "type": "object",
            "properties": {"page": STRING, "csv": STRING, "json": STRING, "snapshot": STRING},
        },
    },
}

RESULT_VERSIONS = {
    "type": "object",
    "required": ["versions"],
    "properties": {
        "versions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["version", "status", "published_at", "snapshot_sha256", "url"],
                "properties": {
                    "version": {"type": "integer", "minimum": 1},
                    "status": {"type": "string", "enum": ["published", "superseded"]},
                    "published_at": DATETIME,
                    "correction_reason": _nullable(STRING),
                    "snapshot_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "url": STRING,
                },
            },
        }
    },
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    media = "application/problem+json" if schema_name == "Error" else "application/json"
    return {
        "description": description,
        "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


_NOT_FOUND = _json("Error", "No such edition or proposal")
_BAD_REQUEST = _json("Error", "A parameter is not valid; the message says which")
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": PLAIN_TEXT}


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
        "paths": {
            "/api/v1/audit/heads": {
                "get": {
                    "operationId": "getAuditHeads",
                    "description": "The audit log's head now and every head published (at "
                    "phase changes, counts and publications), newest first. Keep copies: a "
                    "head missing from the log later shows a truncation or a rewrite.",
                    "responses": {"200": _json("AuditHeads", "The current and published heads")},
                }
            },
            "/api/v1/audit/entries": {
                "get": {
                    "operationId": "listAuditEntries",
                    "description": "Entries of the audit log after number `after` (at most "
                    "1000 a page), without personal data: the body (actor, values) only as its "
                    "SHA-256. The README gives the algorithm to verify them.",
                    "parameters": [
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "Entries in chain order",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["entries"],
                                        "properties": {
                                            "entries": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/AuditEntry"
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        "400": _BAD_REQUEST,
                    },
                }
            },
            "/api/v1/editions": {
                "get": {
                    "operationId": "listEditions",
                    "responses": {
                        "200": {
                            "description": "Every edition, newest first",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["editions"],
                                        "properties": {
                                            "editions": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/EditionSummary"
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/api/v1/editions/{slug}": {
                "get": {
                    "operationId": "getEdition",
                    "parameters": [_SLUG],
                    "responses": {
                        "200": _json(
                            "EditionDetail", "The edition with its schedule, groups and criteria"
                        ),
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/editions/{slug}/proposals": {
                "get": {
                    "operationId": "listProposals",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "category",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {"name": "district", "in": "query", "schema": PLAIN_TEXT},
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": [s.value for s in PUBLIC_STATUSES],
                            },
                        },
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {**PLAIN_TEXT, "maxLength": 100},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                        },
                    ],
                    "responses": {
                        "200": _json("ProposalPage", "Public proposals, 20 a page"),
                        "400": _BAD_REQUEST,
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/editions/{slug}/proposals/{number}": {
                "get": {
                    "operationId": "getProposal",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "number",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            "ProposalDetail", "A public proposal with its review and appeal"
                        ),
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/editions/{slug}/results": {
                "get": {
                    "operationId": "getResults",
                    "description": "The results in force. Not found until the commission has "
                    "published them: nothing about vote counts is available before.",
                    "parameters": [_SLUG],
                    "responses": {
                        "200": _json("Result", "The published results in force"),
                        "404": _json("Error", "No such edition, or no results published yet"),
                    },
                }
            },
            "/api/v1/editions/{slug}/results/versions": {
                "get": {
                    "operationId": "listResultVersions",
                    "description": "Every published version, newest first; a correction is a "
                    "new version and the earlier ones stay readable.",
                    "parameters": [_SLUG],
                    "responses": {
                        "200": _json(
                            "ResultVersions", "Published versions (none before publication)"
                        ),
                        "404": _NOT_FOUND,
                    },
                }
            },
            "/api/v1/editions/{slug}/results/{version}": {
                "get": {
                    "operationId": "getResultVersion",
                    "parameters": [
                        _SLUG,
                        {
                            "name": "version",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": _json("Result", "One published version, in force or replaced"),
                        "404": _json("Error", "No such edition, or no such published version"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": ERROR,
                "AuditHead": AUDIT_HEAD,
                "AuditAnchor": AUDIT_ANCHOR,
                "AuditHeads": AUDIT_HEADS,
                "AuditEntry": AUDIT_ENTRY,
                "EditionSummary": EDITION_SUMMARY,
                "EditionDetail": EDITION_DETAIL,
                "Category": CATEGORY,
                "ProposalSummary": PROPOSAL_SUMMARY,
                "ProposalDetail": PROPOSAL_DETAIL,
                "ProposalPage": PROPOSAL_PAGE,
                "Reason": REASON,
                "TurnoutCell": TURNOUT_CELL,
                "Turnout": TURNOUT,
                "ResultProject": RESULT_PROJECT,
                "ResultGroup": RESULT_GROUP,
                "Result": RESULT,
                "ResultVersions": RESULT_VERSIONS,
            }
        },
    }
