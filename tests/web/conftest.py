from datetime import UTC, datetime

import pytest

from pb.core.extensions import db
from pb.demo.load import load_demo

DEMO_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(app):
    load_demo(DEMO_NOW)
    db.session.commit()
