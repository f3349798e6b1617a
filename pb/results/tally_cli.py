"""`flask pb tally FILE.pb`: recount a Pabulib file and explain every project.

A plain click command: it needs no application context, so it also runs in CI and on a
laptop with nothing but the file. The lead registers it under the `flask pb` group.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import click

from pb.tally import TallyError, TallyResult, TieBreak, load_election, recount
from pb.tally.explain import format_number


def _exact(value: object) -> object:
    """JSON keeps exactness: whole numbers as numbers, other fractions as "p/q" strings."""
    if isinstance(value, Fraction):
        return (
            value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        )
    return value


def result_as_json(result: TallyResult) -> dict[str, object]:
    return {
        "rule": result.rule,
        "budget": result.budget,
        "selected": list(result.selected),
        "spent": result.spent,
        "projects": [
            {
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
            for line in result.projects
        ],
    }


def result_as_text(result: TallyResult, title: str) -> str:
    lines = [
        f"{title}: rule {result.rule}, budget {format_number(result.budget)}, "
        f"spent {format_number(result.spent)}, left {format_number(result.money_left)}",
        f"ties broken by: {result.tie_break}",
    ]
    lines += [f"note: {note.text}" for note in result.notes]
    winners = ", ".join(result.selected) if result.selected else "none"
    lines.append(f"winners ({len(result.selected)}): {winners}")
    rows = [("project", "cost", "score", "won", "why")]
    for line in result.projects:
        rows.append(
            (
                line.project_id,
                format_number(line.cost),
                format_number(line.score),
                "yes" if line.selected else "no",
                line.reason.text,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines.append("")
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2)]
        cells += [row[3].ljust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


@click.command("tally")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.pb"
)
@click.option("--rule", help="Rule to count by; defaults to the file's META rule.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option(
    "--tie-break",
    help="Comma-separated criteria: lower-cost, more-supporters, project-id, listed-order, "
    "lottery. Defaults to the rule's own.",
)
@click.option("--lottery-seed", help="Published seed for the lottery tie-break.")
@click.option(
    "--withdraw",
    multiple=True,
    metavar="PROJECT_ID",
    help="Leave a project out of the tally (withdrawn after voting); repeatable.",
)
def tally_command(
    file: Path,
    rule: str | None,
    as_json: bool,
    tie_break: str | None,
    lottery_seed: str | None,
    withdraw: tuple[str, ...],
) -> None:
    """Count a Pabulib FILE.pb by its rule (or --rule) and explain why each project won or lost."""
    try:
        loaded = load_election(file)
        chosen_tie_break = TieBreak.parse(tie_break, lottery_seed) if tie_break else None
        result = recount(loaded, rule, tie_break=chosen_tie_break, withdrawn=withdraw)
    except TallyError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(result_as_json(result), ensure_ascii=False))
    else:
        click.echo(result_as_text(result, file.name))
