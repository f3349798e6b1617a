"""`flask pb implementation ...`: departments and who may update their funded projects."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from pb.accounts.models import User
from pb.core import clock
from pb.core.errors import NotFound
from pb.core.extensions import db
from pb.core.unit_of_work import command_unit
from pb.implementation import operations

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


@implementation_group.command("grant")
@click.argument("email")
@click.argument("code")
@command_unit
def grant_command(email: str, code: str) -> None:
    """Let the account EMAIL update the funded projects of department CODE."""
    user, department = _user(email), operations.get_department(code)
    operations.grant_access(user, department, actor=None, now=clock.now())
    click.echo(f"{user.email} now updates the projects of {department.name}.")


@implementation_group.command("revoke")
@click.argument("email")
@click.argument("code")
@command_unit
def revoke_command(email: str, code: str) -> None:
    """Take department CODE's projects away from the account EMAIL."""
    user, department = _user(email), operations.get_department(code)
    operations.revoke_access(user, department, actor=None, now=clock.now())
    click.echo(f"{user.email} no longer updates the projects of {department.name}.")


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
