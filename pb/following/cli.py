"""`flask pb following send`: the notices the clock causes (on the ballot, voting ends soon)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from pb.core import clock
from pb.core.unit_of_work import command_unit

following_group = AppGroup("following", help="E-mails to people who follow projects.")


@following_group.command("send")
@click.option("--hours", default=48, show_default=True, help="Remind this long before voting ends.")
@command_unit
def send_command(hours: int) -> None:
    """Queue "on the ballot" notices and the reminders before voting ends (run it hourly)."""
    from datetime import timedelta

    from pb.following.notices import send_clock_notices

    queued = send_clock_notices(clock.now(), timedelta(hours=hours))
    click.echo(f"{queued} message(s) queued; `flask pb outbox send` delivers them.")
