"""Scores computed from the ballots, per ballot kind, as Pabulib defines them.

approval and choose-1 count supporters; cumulative and scoring add up points; ordinal gives
positional points (Borda by default: max_length - position, so 3, 2, 1 when three are ranked).
Scores are never taken from a file's PROJECTS columns: those are only checked against these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain

from pb.tally.errors import TallyError
from pb.tally.model import Election, Number, VoteType


@dataclass(frozen=True)
class Support:
    """Per project (parallel to `Election.projects`): what the ballots say about it."""

    scores: tuple[Number, ...]
    """The score greedy rules rank by."""
    supporters: tuple[int, ...]
    """Voters who listed the project or gave it positive points."""
    opponents: tuple[int, ...]
    """Voters who gave it negative points (minus votes in plus-minus voting)."""


def ordinal_position_points(election: Election) -> tuple[int, ...]:
    """Points for first, second, ... place on an ordinal ballot."""
    if election.ordinal_points is not None:
        return election.ordinal_points
    longest = max((len(b.projects) for b in election.ballots), default=0)
    max_length = election.ordinal_max_length or longest
    if longest > max_length:
        raise TallyError(f"a ballot ranks {longest} projects but max_length is {max_length}")
    return tuple(max_length - position for position in range(max_length))


def count_support(election: Election) -> Support:
    """Add up every distinct ballot times the number of voters who cast it."""
    size = len(election.projects)
    scores: list[Number] = [0] * size
    supporters = [0] * size
    opponents = [0] * size
    vote_type = election.vote_type
    if vote_type.has_points:
        for ballot in election.ballots:
            assert ballot.points is not None  # guaranteed by check_ballot_shape
            for index, points in zip(ballot.projects, ballot.points, strict=True):
                scores[index] += points * ballot.count
                if points > 0:
                    supporters[index] += ballot.count
                elif points < 0:
                    opponents[index] += ballot.count
    elif vote_type is VoteType.ORDINAL:
        position_points = ordinal_position_points(election)
        for ballot in election.ballots:
            for position, index in enumerate(ballot.projects):
                if position >= len(position_points):
                    raise TallyError(
                        f"a ballot ranks {len(ballot.projects)} projects but points are "
                        f"defined for {len(position_points)} places"
                    )
                scores[index] += position_points[position] * ballot.count
                supporters[index] += ballot.count
    else:
        # ballots cast once are counted in C; repeated ones with their weight
        singles = Counter(chain.from_iterable(b.projects for b in election.ballots if b.count == 1))
        for index, count in singles.items():
            supporters[index] += count
        for ballot in election.ballots:
            if ballot.count != 1:
                for index in ballot.projects:
                    supporters[index] += ballot.count
        scores = list(supporters)
    return Support(tuple(scores), tuple(supporters), tuple(opponents))


def supported_projects(election: Election, ballot_index: int) -> tuple[int, ...]:
    """The projects a ballot supports: listed, or given positive points."""
    ballot = election.ballots[ballot_index]
    if ballot.points is None:
        return ballot.projects
    return tuple(i for i, p in zip(ballot.projects, ballot.points, strict=True) if p > 0)
