import pytest

from config import (
    DEV_ID_PEPPER,
    DEV_SECRET_KEY,
    ConfigurationError,
    check_production_safety,
    normalise_database_url,
)
from pb import create_app


def test_production_refuses_the_development_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        check_production_safety(
            {"ENV_NAME": "production", "SECRET_KEY": DEV_SECRET_KEY, "ID_PEPPER": "private"}
        )


def test_production_refuses_the_development_id_pepper():
    with pytest.raises(ConfigurationError, match="PB_ID_PEPPER"):
        check_production_safety(
            {"ENV_NAME": "production", "SECRET_KEY": "private", "ID_PEPPER": DEV_ID_PEPPER}
        )


def test_production_refuses_to_start_the_app_with_development_secrets(tmp_path):
    with pytest.raises(ConfigurationError):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": DEV_SECRET_KEY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            }
        )


def test_production_starts_with_private_secrets():
    check_production_safety({"ENV_NAME": "production", "SECRET_KEY": "s3", "ID_PEPPER": "p3"})


def test_development_runs_with_the_defaults():
    check_production_safety({"ENV_NAME": "development", "SECRET_KEY": DEV_SECRET_KEY})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_database_urls_name_the_psycopg3_driver(given, expected):
    assert normalise_database_url(given) == expected
