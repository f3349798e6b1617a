"""`pb-tally FILE.pb`: recount a Pabulib file without the web app (standard library only).

    pb-tally FILE.pb [--rule R] [--json] [--explain] [--encoding cp1250]
                     [--tie-break C,...] [--lottery-seed S] [--withdraw ID ...]

The output is the one `flask pb tally` prints: both call `run` and the formatters here, so
they cannot drift apart. Exit status 0, or 1 with a one-line message for a file or a request
the engine refuses (never a traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from pb.tally.errors import TallyError
from pb.tally.explain import TallyResult, format_number
from pb.tally.pabulib import load_election
from pb.tally.recount import recount
from pb.tally.tiebreak import TieBreak

TIE_BREAK_HELP = (
    "Comma-separated criteria: lower-cost, more-supporters, project-id, listed-order, "
    "lottery. Defaults to the rule's own."
)
EXPLAIN_HELP = "Also give each project's supporters and the exact numbers behind its reason."
ENCODING_HELP = "The file's encoding when it is not UTF-8 (e.g. cp1250)."


def _exact(value: object) -> object:
    """JSON keeps exactness: whole numbers as numbers, other fractions as "p/q" strings."""
    if isinstance(value, Fraction):
        return (
            value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        )
    return value


def result_as_json(result: TallyResult, *, explain: bool = False) -> dict[str, object]:
    """One JSON object; projects funded from a reserve are under their own key."""
    projects = []
    for line in result.projects:
        entry: dict[str, object] = {
            "id": line.project_id,
            "cost": line.cost,
            "score": _exact(line.score),
            "selected": line.selected,
            "reason": {
                "code": line.reason.code.value,
                "text": line.reason.text,
                "values": {name: _exact(v) for name, v in line.reason.values},
            },
        }
        if line.from_reserve:
            entry["funded_from_reserve"] = True
        if explain:
            entry["supporters"] = line.supporters
        projects.append(entry)
    return {
        "rule": result.rule,
        "budget": result.budget,
        "selected": list(result.selected),
        "funded_from_reserve": list(result.reserve),
        "spent": result.spent,
        "notes": [
            {
                "code": note.code.value,
                "text": note.text,
                "values": {name: _exact(v) for name, v in note.values},
            }
            for note in result.notes
        ],
        "projects": projects,
    }


def result_as_text(result: TallyResult, title: str, *, explain: bool = False) -> str:
    lines = [
        f"{title}: rule {result.rule}, budget {format_number(result.budget)}, "
        f"spent {format_number(result.spent)}, left {format_number(result.money_left)}",
        f"ties broken by: {result.tie_break}",
    ]
    lines += [f"note: {note.text}" for note in result.notes]
    winners = ", ".join(result.selected) if result.selected else "none"
    lines.append(f"winners ({len(result.selected)}): {winners}")
    if result.reserve:
        lines.append(
            f"funded from the reserve ({len(result.reserve)}): {', '.join(result.reserve)}"
        )
    rows = [("project", "cost", "score", "won", "why")]
    for line in result.projects:
        won = "reserve" if line.from_reserve else "yes" if line.selected else "no"
        rows.append(
            (
                line.project_id,
                format_number(line.cost),
                format_number(line.score),
                won,
                line.reason.text,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines.append("")
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2)]
        cells += [row[3].ljust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    if explain:
        lines += ["", "why, project by project (exact numbers):"]
        for line in result.projects:
            values = ", ".join(f"{name}={_exact(v)}" for name, v in line.reason.values)
            lines.append(
                f"{line.project_id}: {line.supporters} supporters; {line.reason.code.value}"
                + (f" ({values})" if values else "")
            )
    return "\n".join(lines)


def run(
    file: Path,
    *,
    rule: str | None = None,
    as_json: bool = False,
    explain: bool = False,
    encoding: str | None = None,
    tie_break: str | None = None,
    lottery_seed: str | None = None,
    withdraw: Sequence[str] = (),
) -> str:
    """What both commands print; raises TallyError (PabulibFormatError) with the message."""
    loaded = load_election(file, encoding=encoding)
    chosen_tie_break = TieBreak.parse(tie_break, lottery_seed) if tie_break else None
    result = recount(loaded, rule, tie_break=chosen_tie_break, withdrawn=withdraw)
    if as_json:
        return json.dumps(result_as_json(result, explain=explain), ensure_ascii=False)
    return result_as_text(result, file.name, explain=explain)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pb-tally",
        description="Count a Pabulib FILE.pb by its rule (or --rule) and explain why each "
        "project won or lost.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.pb")
    parser.add_argument("--rule", help="Rule to count by; defaults to the file's META rule.")
    parser.add_argument(
        "--json", dest="as_json", action="store_true", help="Print one JSON object."
    )
    parser.add_argument("--explain", action="store_true", help=EXPLAIN_HELP)
    parser.add_argument("--encoding", help=ENCODING_HELP)
    parser.add_argument("--tie-break", help=TIE_BREAK_HELP)
    parser.add_argument("--lottery-seed", help="Published seed for the lottery tie-break.")
    parser.add_argument(
        "--withdraw",
        action="append",
        default=[],
        metavar="PROJECT_ID",
        help="Leave a project out of the tally (withdrawn after voting); repeatable.",
    )
    args = parser.parse_args(argv)
    try:
        output = run(**vars(args))  # the arguments' destinations are run's parameters
    except TallyError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:  # `pb-tally FILE | head`: the reader has had enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no flush error at exit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
