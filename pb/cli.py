"""`flask pb ...`: demo data, audit verification, tallies."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from pb.core import clock
from pb.core.unit_of_work import command_unit
from pb.following.cli import following_group
from pb.implementation.cli import implementation_group
from pb.results.tally_cli import tally_command
from pb.voting.registry_cli import registry_group, voting_group

pb_cli = AppGroup("pb", help="Participatory budgeting commands.")
pb_cli.add_command(tally_command)
pb_cli.add_command(registry_group)
pb_cli.add_command(voting_group)
pb_cli.add_command(implementation_group)
pb_cli.add_command(following_group)


@pb_cli.command("demo")
@command_unit
def demo_command() -> None:
    """Load the demo editions, districts, accounts and proposals (safe to run again)."""
    from pb.demo.load import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo

    added = load_demo(clock.now())
    click.echo("Demo loaded: " + ", ".join(f"{n} {kind}" for kind, n in added.items()) + " added.")
    if added["accounts"]:
        click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_ACCOUNTS:
            click.echo(f"  {role.value:<11} {email}")
        click.echo(
            f"Staff sign in with a TOTP code too: secret {DEMO_TOTP_SECRET} in an authenticator "
            "app, or `flask pb demo-code` for the current code."
        )


@pb_cli.command("demo-code")
def demo_code_command() -> None:
    """The current TOTP code of the demo's staff accounts (development only)."""
    import pyotp

    from pb.demo.load import DEMO_TOTP_SECRET

    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Not in production.")
    click.echo(pyotp.TOTP(DEMO_TOTP_SECRET).now())


@pb_cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


def _read_heads(heads: tuple[str, ...], heads_file: str | None) -> list:
    from pb.audit.chain import parse_head

    texts = list(heads)
    if heads_file:
        with open(heads_file, encoding="utf-8") as handle:
            texts += [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    try:
        return [parse_head(text) for text in texts]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@audit_group.command("verify")
@click.option(
    "--head", "heads", multiple=True, metavar="N:HASH", help="A published head to check against."
)
@click.option(
    "--heads",
    "heads_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A file of published heads, one N:HASH a line (# starts a comment).",
)
def audit_verify_command(heads: tuple[str, ...], heads_file: str | None) -> None:
    """Check every entry of the audit log, and that each published head is still in it.

    Exits 1 and names the first broken entry, or the published head that is missing (the log
    was truncated) or different (the log was rewritten).
    """
    from pb.audit.chain import verify_chain

    published = _read_heads(heads, heads_file)
    report = verify_chain(published)
    if report.intact:
        against = f", against {len(published)} published heads" if published else ""
        click.echo(f"Audit log intact: {report.entries} entries checked{against}.")
        return
    where = f" at entry {report.first_broken_id}" if report.first_broken_id is not None else ""
    click.echo(f"Audit log BROKEN{where}: {report.problem}.", err=True)
    raise SystemExit(1)


@audit_group.command("anchor")
@command_unit
def audit_anchor_command() -> None:
    """Publish the chain's head now, and once more for every edition whose phase changed since
    its last published head. Run it from cron (e.g. every 10 minutes)."""
    from pb.editions.operations import anchor_phase_changes

    published = anchor_phase_changes(clock.now())
    for anchor in published:
        where = f" {anchor.edition_slug}: {anchor.phase}" if anchor.edition_slug else ""
        click.echo(f"Published head {anchor.seq}:{anchor.entry_hash} ({anchor.reason}{where}).")


@pb_cli.group("outbox")
def outbox_group() -> None:
    """Messages to people (decisions on proposals and appeals, voting codes)."""


@outbox_group.command("send")
@command_unit
def outbox_send_command() -> None:
    """Send the waiting messages: by SMTP when PB_SMTP_HOST is set, otherwise to the log."""
    from pb.messaging.outbox import deliver_pending

    sent = deliver_pending(clock.now(), limit=1000)
    click.echo(f"{sent} message(s) sent.")
