from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from pb.accounts import operations as accounts
from pb.accounts.models import Role, User
from pb.core.errors import Forbidden, InvalidInput
from pb.core.extensions import db
from pb.messaging.dev_mailbox import messages_to
from tests.factories import DEFAULT_PASSWORD, make_user

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LINKS = dict(
    confirm_link=lambda token: f"http://localhost/account/confirm/{token}",
    reset_link=lambda token: f"http://localhost/account/reset/{token}",
)


def register(**fields):
    return accounts.register_user(now=NOW, **LINKS, **fields)


def test_registration_stores_an_argon2id_hash_never_the_password(app, backend):
    user = register(email=" Jana@Example.CZ ", name="Jana", password="dlouhé heslo 1")
    db.session.commit()
    stored = db.session.scalar(select(User).where(User.id == user.id))
    assert stored.email == "jana@example.cz"
    assert stored.password_hash.startswith("$argon2id$")
    assert "dlouhé heslo 1" not in stored.password_hash
    assert stored.role == Role.RESIDENT


def test_registration_refuses_a_second_account_for_one_email(app, backend):
    assert register(email="a@example.cz", name="A", password="zelený kopec nad řekou") is not None
    # No second account, and no telling the visitor: the owner of the address gets a mail.
    second = register(email="A@example.cz", name="B", password="modrá louka pod lesem")
    assert second is None
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert [m.kind for m in messages_to("a@example.cz")][-2:] == [
        "account.confirm",
        "account.exists",
    ]


def test_registration_refuses_a_short_password(app, backend):
    with pytest.raises(InvalidInput) as refused:
        register(email="b@example.cz", name="B", password="short")
    assert refused.value.field == "password"
    assert db.session.scalar(select(User).where(User.email == "b@example.cz")) is None


def test_unknown_email_and_wrong_password_give_the_same_answer(app, backend):
    make_user(email="known@example.cz")
    assert accounts.authenticate("known@example.cz", "wrong password", NOW).user is None
    assert accounts.authenticate("unknown@example.cz", "wrong password", NOW).user is None
    assert accounts.authenticate("known@example.cz", DEFAULT_PASSWORD, NOW).user is not None


def test_a_deactivated_account_cannot_sign_in(app, backend):
    make_user(email="gone@example.cz", is_active_account=False)
    assert accounts.authenticate("gone@example.cz", DEFAULT_PASSWORD, NOW).user is None


def test_services_check_roles_again(app, backend):
    resident = make_user(Role.RESIDENT)
    admin = make_user(Role.ADMIN)
    with pytest.raises(Forbidden):
        accounts.require_role(resident, Role.OFFICIAL)
    with pytest.raises(Forbidden):
        accounts.require_role(None, Role.OFFICIAL)
    # An admin does an official's work but is never a member of the commission (four eyes).
    assert accounts.require_role(admin, Role.OFFICIAL) is admin
    assert accounts.require_role(admin, Role.ADMIN) is admin
    with pytest.raises(Forbidden):
        accounts.require_role(admin, Role.COMMISSION)


@pytest.mark.only_on("postgresql")
def test_one_second_factor_code_signs_in_one_session_however_many_send_it_at_once(app, backend):
    """Eight sign-ins send one TOTP code together, then eight one recovery code: each code lets
    exactly one through (a read-then-write let several through on PostgreSQL)."""
    import threading

    import pyotp

    user = make_user(Role.OFFICIAL)
    recovery = accounts.new_recovery_codes(user)[0]
    db.session.commit()
    user_id, secret, now = user.id, user.totp_secret, datetime.now(UTC)
    db.session.remove()

    def all_at_once(code: str) -> list[bool | str]:
        barrier = threading.Barrier(8, timeout=60)
        outcomes: list[bool | str] = []

        def sign_in() -> None:
            with app.app_context():
                try:
                    person = db.session.get(User, user_id)
                    barrier.wait()
                    outcomes.append(accounts.verify_second_factor(person, code, now))
                    db.session.commit()
                except BaseException as error:  # reported by the assertion below
                    outcomes.append(repr(error))
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=sign_in) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return outcomes

    totp = all_at_once(pyotp.TOTP(secret).at(now))
    assert sorted(totp, key=str) == [False] * 7 + [True], totp
    codes = all_at_once(recovery)
    assert sorted(codes, key=str) == [False] * 7 + [True], codes
    with app.app_context():
        assert accounts.recovery_codes_left(db.session.get(User, user_id)) == 9
