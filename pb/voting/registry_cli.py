"""`flask pb registry import FILE.csv` and `flask pb voting mix`."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select, text

from pb.core import clock
from pb.core.errors import PBError
from pb.core.extensions import db
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
def import_command(path: str, slug: str | None) -> None:
    """Replace an edition's register of residents with the CSV at PATH."""
    from pb.voting.registry import import_registry

    edition = _edition(slug, EligibilityPolicy.REGISTRY)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            report = import_registry(edition, stream, actor=None, now=clock.now())
    except PBError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message} Nothing was imported.") from None
    except UnicodeDecodeError as error:
        db.session.rollback()
        raise click.ClickException(
            f"The file is not UTF-8 text (byte {error.start}). Nothing was imported."
        ) from None
    db.session.commit()
    click.echo(
        f"Imported {report.residents} residents into {report.edition_slug} "
        f"(replacing {report.replaced}); file SHA-256 {report.sha256}."
    )


@voting_group.command("mix")
@click.option("--edition", "slug", help="Only this edition (default: every edition).")
def mix_command(slug: str | None) -> None:
    """Rewrite ballots in random order so that storage order cannot link them to voters."""
    from pb.voting.casting import mix_ballots

    editions = [_edition(slug)] if slug else list(db.session.scalars(select(Edition)))
    total = 0
    for edition in editions:
        total += mix_ballots(edition.id)
    db.session.commit()
    if db.engine.dialect.name == "postgresql" and total:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ballot, ballot_choice"))
    click.echo(f"Mixed {total} ballots in {len(editions)} edition(s).")
