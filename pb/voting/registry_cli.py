"""`flask pb registry import FILE.csv` and `flask pb voting open EDITION`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from pb.core import clock
from pb.core.extensions import db
from pb.core.unit_of_work import command_unit
from pb.editions.models import Edition, EligibilityPolicy

registry_group = AppGroup("registry", help="The register of residents (registry policy).")
voting_group = AppGroup("voting", help="Ballot box maintenance.")


def _edition(slug: str | None, policy: EligibilityPolicy | None = None) -> Edition:
    if slug:
        edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
        if edition is None:
            raise click.ClickException(f"There is no edition {slug!r}.")
        return edition
    query = select(Edition)
    if policy is not None:
        query = query.where(Edition.eligibility_policy == policy)
    candidates = list(db.session.scalars(query))
    if len(candidates) != 1:
        names = ", ".join(e.slug for e in candidates) or "none"
        raise click.ClickException(f"Name the edition with --edition (candidates: {names}).")
    return candidates[0]


@registry_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--edition", "slug", help="The edition's slug (needed when several use a register).")
@command_unit(unchanged="Nothing was imported.")
def import_command(path: str, slug: str | None) -> None:
    """Replace an edition's register of residents with the CSV at PATH."""
    from pb.voting.registry import import_registry

    edition = _edition(slug, EligibilityPolicy.REGISTRY)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            report = import_registry(edition, stream, actor=None, now=clock.now())
    except UnicodeDecodeError as error:  # the command's boundary rolls back
        raise click.ClickException(
            f"The file is not UTF-8 text (byte {error.start}). Nothing was imported."
        ) from None
    click.echo(
        f"Imported {report.residents} residents into {report.edition_slug} "
        f"(replacing {report.replaced}); file SHA-256 {report.sha256}."
    )


@voting_group.command("open")
@click.argument("slug")
@click.option("--member", "email", required=True, help="The commission member who opens the box.")
@click.option(
    "--share",
    "shares",
    multiple=True,
    help="A share of the key (repeat k times); without it each share is asked for, hidden.",
)
@click.option("--threshold", type=int, default=None, help="How many shares to ask for.")
@command_unit(unchanged=None)  # the refusals say themselves what was not opened
def open_command(slug: str, email: str, shares: tuple[str, ...], threshold: int | None) -> None:
    """Open an edition's ballot box with k shares of its key, after voting ends."""
    from pb.accounts.models import User
    from pb.voting import ballot_box

    edition = _edition(slug)
    member = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if member is None:
        raise click.ClickException(f"There is no account {email!r}.")
    box = ballot_box.ballot_box(edition.id)
    if box is None:
        raise click.ClickException(f"{slug} has no ballot box (no election key).")
    entered = list(shares)
    while len(entered) < (threshold or box.threshold):
        entered.append(click.prompt(f"Share {len(entered) + 1}", hide_input=True))
    # Opening commits its own steps (read, write the plain ballots, vacuum): see ballot_box.py.
    opened = ballot_box.open_ballot_box(edition, entered, actor=member, now=clock.now())
    click.echo(f"Opened the ballot box of {slug}: {opened} ballots, shuffled and stored.")
