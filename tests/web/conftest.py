from datetime import UTC, datetime

import pytest

DEMO_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(app, app_config, demo_templates):
    """The demo as of DEMO_NOW in this test's own database: a copy of the session's template."""
    demo_templates.install(DEMO_NOW, app_config)
