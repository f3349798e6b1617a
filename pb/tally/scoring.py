"""Scores computed from the ballots, per ballot kind, as Pabulib defines them.

approval and choose-1 count supporters; cumulative and scoring add up points; ordinal gives
positional points: the points written on the ballot where it carries them (Kraków 2021-2022:
3, 2, 1), else the points by rank the election sets, else Borda (max_length - position, so
3, 2, 1 when three are ranked). Scores are never taken from a file's PROJECTS columns: those
are only checked against these.

Zero points on a cumulative (or scoring) ballot are not support: the voter listed the project
and gave it nothing. The score is the same either way; what it changes is who counts as a
supporter in equal shares (who pays) and the `supporters` figure. The cities decide nothing
here (no real Pabulib file lists a zero), and pabutools agrees when points are the
satisfaction (`Additive_Cardinal_Sat`: a zero gives no satisfaction, so no share to pay); only its
approval-like `Cost_Sat` counts a mere listing. The `votes` column of a file still counts
listings (`computed_counts`), as Pabulib does. Every rank on an ordinal ballot is support.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain

from pb.tally.errors import TallyError
from pb.tally.explain import Reason, ReasonCode, format_number
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
    """Points for first, second, ... place on an ordinal ballot without its own points."""
    if election.ordinal_points is not None:
        return election.ordinal_points
    longest = max((len(b.projects) for b in election.ballots if b.points is None), default=0)
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
            if ballot.points is not None:
                for index, points in zip(ballot.projects, ballot.points, strict=True):
                    scores[index] += points * ballot.count
                    supporters[index] += ballot.count
                continue
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


def ordinal_points_note(election: Election) -> Reason | None:
    """How an ordinal election gave points, for the result's notes (None for other kinds)."""
    if election.vote_type is not VoteType.ORDINAL:
        return None
    written = [b for b in election.ballots if b.points is not None]
    if written:
        by_rank: list[set[Number]] = []
        for ballot in written:
            assert ballot.points is not None
            for rank, points in enumerate(ballot.points):
                if rank == len(by_rank):
                    by_rank.append(set())
                by_rank[rank].add(points)
        if all(len(values) == 1 for values in by_rank) and len(written) == len(election.ballots):
            scheme = ", ".join(format_number(next(iter(v))) for v in by_rank)
            return Reason.of(ReasonCode.ORDINAL_POINTS_WRITTEN, points=scheme)
        return Reason.of(ReasonCode.ORDINAL_POINTS_PER_BALLOT, ballots=len(written))
    scheme = ", ".join(format_number(p) for p in ordinal_position_points(election))
    if election.ordinal_points is not None:
        return Reason.of(ReasonCode.ORDINAL_POINTS_SET, points=scheme)
    return Reason.of(ReasonCode.ORDINAL_POINTS_BORDA, points=scheme)


def supported_projects(election: Election, ballot_index: int) -> tuple[int, ...]:
    """The projects a ballot supports: listed (ranked), or given positive points."""
    ballot = election.ballots[ballot_index]
    if ballot.points is None or election.vote_type is VoteType.ORDINAL:
        return ballot.projects
    return tuple(i for i, p in zip(ballot.projects, ballot.points, strict=True) if p > 0)
