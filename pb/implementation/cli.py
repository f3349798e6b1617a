"""`flask pb implementation ...`: departments and who may update their funded projects."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import click
from flask.cli import AppGroup
from sqlalchemy import select

from pb.accounts.models import User
from pb.core import clock
from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.core.unit_of_work import command_unit
from pb.implementation import operations
from pb.implementation.models import Department

implementation_group = AppGroup("implementation", help="Funded projects and their departments.")


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"There is no account {email}; the person registers first.")
    return user


@implementation_group.command("department")
@click.argument("code")
@click.argument("name")
@command_unit
def department_command(code: str, name: str) -> None:
    """Create a department CODE with its NAME."""
    department = operations.create_department(code, name, actor=None, now=clock.now())
    click.echo(f"Department {department.code} created.")


class _AccessChange(Protocol):
    def __call__(
        self, user: User, department: Department, *, actor: User | None, now: datetime
    ) -> None: ...


def _access_command(name: str, change: _AccessChange, description: str, done: str) -> None:
    """`grant` and `revoke`: one account's access to one department's projects, and a line
    saying what it is now (`done`, with {email} and {department})."""

    @implementation_group.command(name, help=description)
    @click.argument("email")
    @click.argument("code")
    @command_unit
    def command(email: str, code: str) -> None:
        user, department = _user(email), operations.get_department(code)
        change(user, department, actor=None, now=clock.now())
        click.echo(done.format(email=user.email, department=department.name))


_access_command(
    "grant",
    operations.grant_access,
    "Let the account EMAIL update the funded projects of department CODE.",
    "{email} now updates the projects of {department}.",
)
_access_command(
    "revoke",
    operations.revoke_access,
    "Take department CODE's projects away from the account EMAIL.",
    "{email} no longer updates the projects of {department}.",
)


@implementation_group.command("assign")
@click.argument("edition")
@click.argument("number", type=int)
@click.argument("code")
@command_unit
def assign_command(edition: str, number: int, code: str) -> None:
    """Make department CODE responsible for funded project NUMBER of EDITION."""
    from pb.accounts.models import Role
    from pb.editions.queries import get_edition

    record = operations.record_of(get_edition(edition), number)
    department = operations.get_department(code)
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).limit(1))
    operations.assign_department(record, department, actor=admin, now=clock.now())
    click.echo(f"Project {number} of {edition} is built by {department.name}.")
