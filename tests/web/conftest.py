from datetime import UTC, datetime

import pytest

from tests.factories_results import open_demo_box

DEMO_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(app, app_config, demo_templates):
    """The demo as of DEMO_NOW, with Liberec 2024's ballot box opened by two demo shares (ready
    to count): a copy of the session's template."""
    demo_templates.install(DEMO_NOW, app_config, then=open_demo_box)
