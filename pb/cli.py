"""`flask pb ...`: demo data, audit verification, tallies."""

from __future__ import annotations

import click
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
    from pb.demo.load import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo

    added = load_demo(clock.now())
    click.echo("Demo loaded: " + ", ".join(f"{n} {kind}" for kind, n in added.items()) + " added.")
    if added["accounts"]:
        click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_ACCOUNTS:
            click.echo(f"  {role.value:<11} {email}")


@pb_cli.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Check every entry of the audit log; exit 1 and name the first broken entry if any."""
    from pb.audit.chain import verify_chain

    report = verify_chain()
    if report.intact:
        click.echo(f"Audit log intact: {report.entries} entries checked.")
        return
    click.echo(f"Audit log BROKEN at entry {report.first_broken_id}: {report.problem}.", err=True)
    raise SystemExit(1)


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
