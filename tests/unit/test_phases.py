"""The phase of an edition is derived from its schedule and the clock, at exact boundaries."""

from datetime import UTC, datetime, timedelta

import pytest

from pb.editions.models import Edition, Phase
from tests.factories import schedule_for

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def edition_in(phase: Phase) -> Edition:
    return Edition(slug="x", name="x", total_budget=1, **schedule_for(phase, NOW))


@pytest.mark.parametrize("phase", list(Phase))
def test_schedule_for_places_now_inside_the_phase(phase):
    assert edition_in(phase).phase_at(NOW) == phase


BOUNDARIES = [
    ("submission_starts_at", Phase.PREPARATION, Phase.SUBMISSION),
    ("review_starts_at", Phase.SUBMISSION, Phase.REVIEW),
    ("appeal_starts_at", Phase.REVIEW, Phase.APPEAL),
    ("voting_starts_at", Phase.APPEAL, Phase.VOTING),
    ("voting_ends_at", Phase.VOTING, Phase.COUNTING),
]


@pytest.mark.parametrize(("field", "before", "after"), BOUNDARIES)
def test_phase_changes_exactly_at_the_boundary(field, before, after):
    edition = edition_in(Phase.SUBMISSION)
    moment = getattr(edition, field)
    assert edition.phase_at(moment - SECOND) == before
    assert edition.phase_at(moment) == after


def test_results_are_published_from_the_publication_moment():
    edition = edition_in(Phase.COUNTING)
    edition.results_published_at = NOW
    assert edition.phase_at(NOW - SECOND) == Phase.COUNTING
    assert edition.phase_at(NOW) == Phase.PUBLISHED


def test_window_is_open_from_start_inclusive_to_end_exclusive():
    edition = edition_in(Phase.SUBMISSION)
    assert edition.window_open(Phase.SUBMISSION, edition.submission_starts_at)
    assert edition.window_open(Phase.SUBMISSION, edition.submission_ends_at - SECOND)
    assert not edition.window_open(Phase.SUBMISSION, edition.submission_ends_at)
    assert not edition.window_open(Phase.SUBMISSION, edition.submission_starts_at - SECOND)


def test_a_gap_between_windows_keeps_the_earlier_phase_but_its_window_is_closed():
    edition = edition_in(Phase.SUBMISSION)
    edition.review_starts_at = edition.submission_ends_at + timedelta(days=2)
    in_gap = edition.submission_ends_at + timedelta(days=1)
    assert edition.phase_at(in_gap) == Phase.SUBMISSION
    assert not edition.window_open(Phase.SUBMISSION, in_gap)
    assert not edition.window_open(Phase.REVIEW, in_gap)


def test_the_voting_year_is_the_year_voting_ends_in_the_editions_time_zone():
    edition = edition_in(Phase.VOTING)
    edition.timezone = "Europe/Prague"
    edition.voting_ends_at = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # half past midnight there
    assert edition.voting_year == 2026
