from datetime import UTC, datetime

import pytest

from pb.core.extensions import db
from pb.demo.load import load_demo
from tests.factories_results import open_demo_box

DEMO_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(app):
    """The demo, with Liberec 2024's ballot box opened by two demo shares (ready to count)."""
    load_demo(DEMO_NOW)
    db.session.commit()
    open_demo_box(now=DEMO_NOW)
