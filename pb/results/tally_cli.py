"""`flask pb tally FILE.pb`: recount a Pabulib file and explain every project.

A plain click command: it needs no application context, so it also runs in CI and on a
laptop with nothing but the file. The lead registers it under the `flask pb` group. It prints
exactly what the standalone `pb-tally` prints (`pb.tally.cli.run`), so the two cannot drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pb.tally import TallyError
from pb.tally.cli import ENCODING_HELP, EXPLAIN_HELP, TIE_BREAK_HELP, run
from pb.tally.cli import result_as_json as result_as_json
from pb.tally.cli import result_as_text as result_as_text


@click.command("tally")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.pb"
)
@click.option("--rule", help="Rule to count by; defaults to the file's META rule.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--explain", is_flag=True, help=EXPLAIN_HELP)
@click.option("--encoding", help=ENCODING_HELP)
@click.option("--tie-break", help=TIE_BREAK_HELP)
@click.option("--lottery-seed", help="Published seed for the lottery tie-break.")
@click.option(
    "--withdraw",
    multiple=True,
    metavar="PROJECT_ID",
    help="Leave a project out of the tally (withdrawn after voting); repeatable.",
)
def tally_command(file: Path, **options: Any) -> None:
    """Count a Pabulib FILE.pb by its rule (or --rule) and explain why each project won or lost."""
    try:
        output = run(file, **options)  # the options are run's keywords, named alike
    except TallyError as error:
        raise click.ClickException(str(error)) from None
    click.echo(output)
