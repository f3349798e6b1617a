"""Open data of a published result: JSON, CSV and the anonymised ballots as Pabulib files.

Everything here is made from the frozen snapshot, never from the live tables, so a download says
exactly what the commission approved. The Pabulib file of a group lists its ballots in a shuffled
order under random voter ids; the ballot tables hold nothing about the voter (no age, sex or
district), so the file has no such columns at all, for any cell size. Running `flask pb tally` or
pabutools on it gives the published winners.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import io
import random
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from pb.audit import chain as audit_chain
from pb.core.errors import Conflict
from pb.core.timefmt import iso_time
from pb.results.counting import (
    election_from_snapshot,
    recount_group,
    snapshot_reserve_share,
)
from pb.results.models import Result, ResultStatus
from pb.tally import format_pabulib, pabulib_from_election
from pb.tally.pabulib import RESERVE_SHARE_KEY


def public_status(result: Result) -> str:
    return "published" if result.status == ResultStatus.PUBLISHED else "superseded"


def result_document(result: Result, snapshot: dict) -> dict:
    """The public JSON of one published version (the API and the download give the same)."""
    return {
        "edition": snapshot["edition"]["slug"],
        "version": result.version,
        "status": public_status(result),
        "counted_at": snapshot["counted_at"],
        "published_at": iso_time(result.published_at),
        "correction_reason": result.correction_reason,
        "snapshot_sha256": result.snapshot_sha256,
        "currency": snapshot["edition"]["currency"],
        "ballots": snapshot["ballots"],
        "turnout": snapshot["turnout"],
        "groups": [
            {
                "category_id": g["category_id"],
                "name": g["name"],
                "name_en": g["name_en"],
                "district": g["district"],
                "budget": g["budget"],
                "ballot_rule": g["ballot_rule"],
                "rule": g["rule"],
                "vote_type": g["vote_type"],
                "threshold": g["threshold"],
                "tie_break": g["tie_break_text"],
                "voters": g["voters"],
                "spent": g["spent"],
                "money_left": g["money_left"],
                "selected": [int(pid) for pid in g["selected"]],
                "funded_from_reserve": [int(pid) for pid in g.get("reserve", ())],
                "reserve_share": g.get("reserve_share"),
                "points_by_rank": _points_by_rank(g),
                "exclusive_pairs": [[int(a), int(b)] for a, b in g.get("exclusive", ())],
                "projects": [
                    {
                        "number": p["number"],
                        "title": p["title"],
                        "cost": p["cost"],
                        "score": p["score"],
                        "supporters": p["supporters"],
                        "opponents": p["opponents"],
                        "selected": p["selected"],
                        "withdrawn": p["withdrawn"],
                        "funded_from_reserve": p.get("funded_from_reserve", False),
                        "reason": p["reason"],
                    }
                    for p in g["projects"]
                ],
            }
            for g in snapshot["groups"]
        ],
    }


CSV_COLUMNS = (
    "group",
    "group_en",
    "rule",
    "rank",
    "number",
    "title",
    "cost",
    "score",
    "supporters",
    "opponents",
    "selected",
    "reason_code",
    "reason",
    "funded_from_reserve",
)


NUMBER = re.compile(r"-?\d+(/\d+)?")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with an
    apostrophe, so that it is shown as text; numbers stay numbers."""
    if (
        isinstance(cell, str)
        and cell.startswith(FORMULA_STARTS)
        and not NUMBER.fullmatch(cell)  # an exact score such as -3/2
    ):
        return "'" + cell
    return cell


def audit_head_document() -> dict:
    """The audit log's latest published head (every results download carries it; publication
    itself publishes a head)."""
    head = audit_chain.published_head()
    return {"seq": head.seq, "entry_hash": head.entry_hash}


def results_csv(snapshot: dict, reason_text: Callable[[dict, dict], str]) -> str:
    """One row per project and group, in the order the rule considered them.

    `reason_text(project, group)` gives the explanation in the reader's language.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheet programs then read the file as UTF-8
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in snapshot["groups"]:
        for rank, project in enumerate(group["projects"], start=1):
            writer.writerow(
                neutralise(cell)
                for cell in (
                    group["name"],
                    group["name_en"] or "",
                    group["rule"],
                    rank,
                    project["number"],
                    project["title"],
                    project["cost"],
                    project["score"],
                    project["supporters"],
                    project["opponents"],
                    1 if project["selected"] else 0,
                    project["reason"]["code"],
                    reason_text(project, group),
                    1 if project.get("funded_from_reserve") else 0,
                )
            )
    return buffer.getvalue()


PABULIB_RULES = {"plus-minus": "greedy"}
"""Our rule names that Pabulib spells otherwise (the recount test proves they agree)."""

EXCLUSIVE_RULES = {"greedy": "greedy-exclusive", "plus-minus": "greedy-exclusive"}
"""With exclusive pairs, greedy is Warsaw's greedy-exclusive (the pairs under META
`exclusive_pairs`); every other rule keeps its name and reads the same key."""


# A ballot rule's limits as Pabulib's META keys, in the order the files list them.
PABULIB_BALLOT_KEYS = {
    "approval": (("min_choices", "min_length"), ("max_choices", "max_length")),
    "cumulative": (("max_points_per_project", "max_points"), ("max_points", "max_sum_points")),
    "ranked": (("max_ranks", "max_length"),),
}


def _points_by_rank(group: dict) -> list[int] | None:
    if group["ballot_rule"] != "ranked":
        return None
    text = group["ballot_parameters"].get("rank_points") or ""
    return [int(p) for p in text.split(",") if p.strip()]


def pabulib_rule(group: dict, rule: str) -> str:
    """The rule as the exported file names it."""
    if group.get("exclusive") and rule in EXCLUSIVE_RULES:
        return EXCLUSIVE_RULES[rule]
    return PABULIB_RULES.get(rule, rule)


def _pabulib_meta(
    snapshot: dict, group: dict, result: Result, *, unit: str, country: str, language: str
) -> dict[str, str]:
    edition = snapshot["edition"]
    zone = ZoneInfo(edition["timezone"])
    begins = datetime.fromisoformat(edition["voting_starts_at"].replace("Z", "+00:00"))
    ends = datetime.fromisoformat(edition["voting_ends_at"].replace("Z", "+00:00"))
    last_day = (ends - timedelta(seconds=1)).astimezone(zone)
    meta = {
        "description": f"{edition['name']} – {group['name']}",
        "country": country,
        "unit": unit,
        "subunit": group["name"],
        "instance": str(last_day.year),
        "date_begin": begins.astimezone(zone).strftime("%d.%m.%Y"),
        "date_end": last_day.strftime("%d.%m.%Y"),
        "language": language,
        "currency": edition["currency"],
    }
    if group["district_name"]:
        meta["district"] = group["district_name"]
    parameters = group["ballot_parameters"]
    rule = group["ballot_rule"]
    for parameter, key in PABULIB_BALLOT_KEYS.get(rule, ()):
        if parameter in parameters:
            meta[key] = str(parameters[parameter])
    if rule == "knapsack":
        meta["max_sum_cost"] = str(group["budget"])
    elif rule == "plus_minus":
        meta["min_points"] = "-1"
        meta["max_points"] = "1"
        plus, minus = parameters.get("plus_votes", 0), parameters.get("minus_votes", 0)
        meta["max_length"] = str(plus + minus)
    if group["threshold"] is not None:
        meta["min_project_score_threshold"] = str(group["threshold"])
    share = snapshot_reserve_share(group)
    if share is not None:
        meta[RESERVE_SHARE_KEY] = _decimal(share)
    meta["comment"] = (
        f"#1: Version {result.version} of the published results, snapshot SHA-256 "
        f"{result.snapshot_sha256}. Ties broken by: {group['tie_break_text']}"
        + (f" (lottery seed {group['lottery_seed']})" if group.get("lottery_seed") else "")
        + ". #2: Ballots in random order under random voter ids; no voter data is kept with "
        "a ballot. #3: Project ids are the proposal numbers."
        + (
            " #4: Plus-minus (D21) voting: plus votes are 1 point, minus votes -1; projects are "
            "funded greedily by the sum of points."
            if rule == "plus_minus"
            else ""
        )
        + (
            f" #5: Ranked ballots; {', '.join(map(str, _points_by_rank(group) or []))} points "
            "for the first, second ... rank, written in the points column of each vote."
            if rule == "ranked"
            else ""
        )
        + (
            f" #6: A project that does not fit is funded from the reserve when at least "
            f"{meta[RESERVE_SHARE_KEY]} of its cost is left (selected = 2)."
            if RESERVE_SHARE_KEY in meta
            else ""
        )
        + (
            " #7: Projects that cannot be carried out together are listed under "
            "exclusive_pairs; the one ranked lower is skipped once the other is funded."
            if group.get("exclusive")
            else ""
        )
    )
    return meta


def _decimal(share: Fraction) -> str:
    """0.8 for 4/5: a plain decimal when one exists with few digits, else p/q is refused, so
    round to six places (the share is set in whole percent here)."""
    hundredths = share * 100
    if hundredths.denominator == 1:
        whole, rest = divmod(int(hundredths), 100)
        return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)
    return f"{float(share):.6f}"


def group_pabulib(
    result: Result,
    snapshot: dict,
    group: dict,
    *,
    secret: str,
    unit: str,
    country: str,
    language: str,
) -> str:
    """The group's anonymised ballots as a Pabulib file that recounts to the published winners.

    The shuffle and the voter ids come from a generator keyed with the server secret and the
    snapshot, so every download of one version is the same file, and nobody without the secret
    can tell anything from the order.
    """
    election = election_from_snapshot(group)
    outcome = recount_group(group)
    if list(outcome.selected) != group["selected"]:
        raise Conflict(_("The ballots of this group no longer give its published winners."))
    names = {p["id"]: p["title"] for p in group["projects"]}
    meta = _pabulib_meta(snapshot, group, result, unit=unit, country=country, language=language)
    exclusive = [tuple(pair) for pair in group.get("exclusive", ())]
    file = pabulib_from_election(
        election, meta, result=outcome, project_names=names, exclusive=exclusive
    )
    # Pabulib has no name for D21 counting: it is greedy by the sum of +1/-1 points.
    rule = pabulib_rule(group, outcome.rule)
    file = dataclasses.replace(
        file, meta=tuple((k, rule) if k == "rule" else (k, *v) for k, *v in file.meta)
    )
    key = f"{result.snapshot_sha256}:{group['category_id']}".encode()
    seed = hmac.new(secret.encode(), key, hashlib.sha256).digest()
    rng = random.Random(seed)
    votes = list(file.votes)
    rng.shuffle(votes)
    ids: set[str] = set()
    anonymous = []
    for row in votes:
        voter_id = f"{rng.getrandbits(40):010x}"
        while voter_id in ids:
            voter_id = f"{rng.getrandbits(40):010x}"
        ids.add(voter_id)
        anonymous.append((voter_id, *row[1:]))
    return format_pabulib(dataclasses.replace(file, votes=tuple(anonymous)))


def download_name(snapshot: dict, result: Result, suffix: str, group: dict | None = None) -> str:
    """e.g. liberec-2024-v1-results.csv, liberec-2024-v1-group-12.pb."""
    base = f"{snapshot['edition']['slug']}-v{result.version}"
    if group is not None:
        return f"{base}-group-{group['category_id']}.{suffix}"
    return f"{base}-results.{suffix}"
