import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def messages_in_english(app):
    """Services speak the visitor's language (Czech by default); these tests read their English source."""
    with force_locale("en"):
        yield
