"""The public anchor of the audit log: the published heads and the entries without personal data.

Anyone may read these pages, keep the heads (`/audit/heads.txt`) and later check that the log
still contains them (`flask pb audit verify --heads FILE`, or their own script; see the README).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from pb.audit import chain

bp = Blueprint("audit", __name__, url_prefix="/audit")

ANCHOR_LABELS = {
    "phase": _l("change of phase"),
    "scheduled": _l("regular publication"),
    "count": _l("counting started"),
    "publication": _l("results published"),
    "voting_extended": _l("voting extended by the commission"),
}

ENTRIES_PAGE = 10_000


def _after() -> int:
    raw = request.args.get("after", "0")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else 0


@bp.get("/")
def heads():
    return render_template(
        "audit/heads.html",
        head=chain.published_head(),
        anchors=chain.anchors(limit=200),
        entries=chain.published_head().seq,
    )


@bp.get("/heads.txt")
def heads_text():
    """Every published head, one N:HASH a line: the file `flask pb audit verify --heads` reads."""
    lines = [f"{a.seq}:{a.entry_hash}" for a in reversed(chain.anchors(limit=100_000))]
    body = "# Published heads of the audit log (oldest first), N:SHA-256\n" + "".join(
        f"{line}\n" for line in lines
    )
    return Response(body, mimetype="text/plain")


@bp.get("/entries.json")
def entries_json():
    """The entries after number `after` (at most 10 000), each without personal data."""
    response = jsonify(chain.public_entries(after_seq=_after(), limit=ENTRIES_PAGE))
    response.headers["Content-Disposition"] = 'attachment; filename="audit-entries.json"'
    return response


@bp.app_context_processor
def _audit_head():
    return {
        "audit_head": chain.published_head,
        "anchor_reason": lambda reason: ANCHOR_LABELS.get(reason, reason),
    }


def anchor_document(anchor) -> dict:
    return {
        "seq": anchor.seq,
        "entry_hash": anchor.entry_hash,
        "reason": anchor.reason,
        "edition": anchor.edition_slug,
        "phase": anchor.phase,
        "published_at": anchor.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def heads_document(limit: int = 1000) -> dict:
    head = chain.published_head()
    return {
        "current": {"seq": head.seq, "entry_hash": head.entry_hash},
        "published": [anchor_document(a) for a in chain.anchors(limit=limit)],
    }


def api_heads():
    return jsonify(heads_document())
