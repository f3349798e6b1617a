"""The shared checks of what people write and the one file-size formatter, in two languages."""

import pytest
from flask_babel import force_locale

from pb import create_app
from pb.core.errors import InvalidInput
from pb.core.i18n import format_file_size
from pb.core.text_input import bounded_text, required_text


@pytest.fixture
def request_context(tmp_path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("size", "english", "czech"),
    [
        (5 * 1024 * 1024, "5\u00a0MB", "5\u00a0MB"),
        (5 * 1024 * 1024 // 2, "2.5\u00a0MB", "2,5\u00a0MB"),
        (200_000, "195\u00a0kB", "195\u00a0kB"),
        (100, "1\u00a0kB", "1\u00a0kB"),
    ],
)
def test_a_file_size_reads_the_same_in_every_refusal(request_context, size, english, czech):
    with force_locale("en"):
        assert format_file_size(size) == english
    with force_locale("cs"):
        assert format_file_size(size) == czech


def test_written_text_is_trimmed_and_bounded_at_its_field(request_context):
    assert bounded_text("  a note \n", "note", 10) == "a note"
    assert bounded_text(None, "note", 10) == ""
    with pytest.raises(InvalidInput) as refused:
        bounded_text("x" * 11, "note", 10)
    assert refused.value.field == "note" and "10" in refused.value.message


def test_required_text_says_what_is_missing(request_context):
    assert required_text(" reason ", "reason", 50) == "reason"
    with pytest.raises(InvalidInput) as refused:
        required_text("   ", "reason", 50, "Say why.")
    assert (refused.value.field, refused.value.message) == ("reason", "Say why.")
    with pytest.raises(InvalidInput) as refused:
        required_text(None, "name", 50)
    assert refused.value.field == "name"
