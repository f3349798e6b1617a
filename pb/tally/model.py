"""What the tally counts: projects with whole-unit costs and the ballots cast for them.

Money is a whole number of the smallest unit the city budgets in (haléře, grosze, cents or whole
crowns: one choice per election). Ballots are stored aggregated: each distinct ballot once, with
the number of voters who cast it, because real elections repeat the same ballot thousands of times
and every rule only needs the distinct ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from itertools import pairwise

from pb.tally.errors import TallyError

Number = int | Fraction
"""Exact numbers only: points and prices are integers or fractions, never floats."""


class VoteType(StrEnum):
    """The ballot kinds of the Pabulib format."""

    APPROVAL = "approval"
    CHOOSE_ONE = "choose-1"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"
    ORDINAL = "ordinal"

    @property
    def has_points(self) -> bool:
        return self in (VoteType.CUMULATIVE, VoteType.SCORING)


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot: an identifier as the city writes it and a whole-unit cost."""

    id: str
    cost: int

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise TallyError(f"a project needs a non-empty text identifier, got {self.id!r}")
        if isinstance(self.cost, bool) or not isinstance(self.cost, int):
            raise TallyError(f"project {self.id}: cost must be a whole number, got {self.cost!r}")
        if self.cost < 0:
            raise TallyError(f"project {self.id}: cost cannot be negative ({self.cost})")


@dataclass(frozen=True, slots=True)
class Ballot:
    """One distinct ballot and how many voters cast it.

    `projects` are indices into `Election.projects`, in the order the voter gave them (that order
    matters for ordinal ballots). `points` runs parallel to `projects` for cumulative and scoring
    ballots; ordinal ballots may carry it too (the points each rank earned, as Kraków 2021-2022
    files write them: 3, 2, 1), and it is None otherwise.
    """

    projects: tuple[int, ...]
    points: tuple[Number, ...] | None = None
    count: int = 1


BallotInput = Sequence[str] | Mapping[str, Number] | Sequence[tuple[str, Number]]
"""A ballot as callers write it: project ids (approval, choose-1, ordinal in preference order)
or project id -> points (cumulative, scoring; plus-minus uses +1 and -1)."""


@dataclass(frozen=True)
class Election:
    """Everything a rule needs: the budget, the projects and the aggregated ballots.

    Build it with `Election.build(...)`, which checks the ballots against the vote type and
    aggregates identical ones.
    """

    budget: int
    projects: tuple[Project, ...]
    vote_type: VoteType
    ballots: tuple[Ballot, ...]
    ordinal_max_length: int | None = None
    """For ordinal ballots: the longest ranking allowed (Borda: max_length - position points)."""
    ordinal_points: tuple[int, ...] | None = field(default=None)
    """For ordinal ballots: explicit points by position (first place first); overrides Borda."""

    def __post_init__(self) -> None:
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 0:
            raise TallyError(f"the budget must be a whole non-negative number, got {self.budget!r}")
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            duplicated = sorted(i for i, n in Counter(ids).items() if n > 1)
            raise TallyError(f"project identifiers must be unique: {', '.join(duplicated)}")

    @cached_property
    def index_of(self) -> Mapping[str, int]:
        """Project id -> position in `projects`."""
        return {project.id: index for index, project in enumerate(self.projects)}

    @cached_property
    def voter_count(self) -> int:
        """Every voter, including those who left the ballot empty."""
        return sum(ballot.count for ballot in self.ballots)

    @classmethod
    def build(
        cls,
        budget: int,
        projects: Iterable[Project],
        ballots: Iterable[BallotInput],
        vote_type: VoteType | str = VoteType.APPROVAL,
        *,
        ordinal_max_length: int | None = None,
        ordinal_points: Sequence[int] | None = None,
    ) -> Election:
        """Check and aggregate ballots given with project ids.

        Raises TallyError naming the ballot (1-based) and the problem when a ballot names an
        unknown project, names one twice, or does not fit the vote type.
        """
        return cls.build_counted(
            budget,
            projects,
            ((ballot, 1) for ballot in ballots),
            vote_type,
            ordinal_max_length=ordinal_max_length,
            ordinal_points=ordinal_points,
        )

    @classmethod
    def build_counted(
        cls,
        budget: int,
        projects: Iterable[Project],
        ballots: Iterable[tuple[BallotInput, int]],
        vote_type: VoteType | str = VoteType.APPROVAL,
        *,
        ordinal_max_length: int | None = None,
        ordinal_points: Sequence[int] | None = None,
    ) -> Election:
        """As `build`, from ballots already counted: (ballot, how many voters cast it).

        A count reads its ballots grouped (a hundred thousand of them are a few thousand
        different ones): each different ballot is then checked once. "Ballot n" in an error is
        the n-th pair given.
        """
        vote_type = _vote_type(vote_type)
        project_tuple = tuple(projects)
        index_of = {project.id: index for index, project in enumerate(project_tuple)}
        counts: Counter[tuple[tuple[int, ...], tuple[Number, ...] | None]] = Counter()
        for number, (raw, count) in enumerate(ballots, start=1):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise TallyError(
                    f"ballot {number} is counted {count!r} times, not a whole number >= 1"
                )
            ids, points = _split_ballot(raw, vote_type, number)
            indices = []
            for project_id in ids:
                index = index_of.get(project_id)
                if index is None:
                    raise TallyError(f"ballot {number} names unknown project {project_id!r}")
                indices.append(index)
            check_ballot_shape(vote_type, indices, points, ordinal_max_length, f"ballot {number}")
            counts[(tuple(indices), points)] += count
        aggregated = tuple(
            Ballot(projects=indices, points=points, count=count)
            for (indices, points), count in counts.items()
        )
        return cls(
            budget=budget,
            projects=project_tuple,
            vote_type=vote_type,
            ballots=aggregated,
            ordinal_max_length=ordinal_max_length,
            ordinal_points=tuple(ordinal_points) if ordinal_points is not None else None,
        )


def _vote_type(value: VoteType | str) -> VoteType:
    try:
        return VoteType(value)
    except ValueError:
        known = ", ".join(v.value for v in VoteType)
        raise TallyError(f"unknown vote type {value!r}; known: {known}") from None


def _split_ballot(
    raw: BallotInput, vote_type: VoteType, number: int
) -> tuple[list[str], tuple[Number, ...] | None]:
    if not vote_type.has_points:
        if isinstance(raw, Mapping | str):
            raise TallyError(
                f"ballot {number}: a {vote_type} ballot is a list of project ids, got {raw!r}"
            )
        ids: list[str] = []
        for project_id in raw:
            if not isinstance(project_id, str):
                # a (project id, points) pair names no project of the election
                raise TallyError(f"ballot {number} names unknown project {project_id!r}")
            ids.append(project_id)
        return ids, None
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    else:
        pairs = []
        for pair in raw:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TallyError(
                    f"ballot {number}: a {vote_type} ballot gives points: project id -> points"
                )
            pairs.append(pair)
    points = tuple(exact_number(value, f"ballot {number}") for _, value in pairs)
    return [str(project_id) for project_id, _ in pairs], points


def exact_number(value: object, where: str) -> Number:
    """Accept ints and Fractions; refuse floats so that no rounding enters a count."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise TallyError(f"{where}: points must be whole numbers or fractions, got {value!r}")
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def check_ballot_shape(
    vote_type: VoteType,
    indices: Sequence[int],
    points: Sequence[Number] | None,
    ordinal_max_length: int | None,
    where: str,
) -> None:
    """The checks every ballot passes whatever its source (web form, database, Pabulib file)."""
    if len(set(indices)) != len(indices):
        raise TallyError(f"{where} names the same project more than once")
    if vote_type is VoteType.CHOOSE_ONE and len(indices) > 1:
        raise TallyError(f"{where}: a choose-1 ballot names at most one project")
    if vote_type.has_points:
        if points is None or len(points) != len(indices):
            raise TallyError(f"{where}: every project on a {vote_type} ballot needs its points")
        if vote_type is VoteType.CUMULATIVE and any(p < 0 for p in points):
            raise TallyError(f"{where}: cumulative points cannot be negative")
    elif vote_type is VoteType.ORDINAL and points is not None:
        if len(points) != len(indices):
            raise TallyError(f"{where}: every ranked project needs its points")
        if any(p < 0 for p in points):
            raise TallyError(f"{where}: points by rank cannot be negative")
        if any(later > earlier for earlier, later in pairwise(points)):
            raise TallyError(f"{where}: points by rank must not grow from one rank to the next")
    elif points is not None:
        raise TallyError(f"{where}: a {vote_type} ballot carries no points")
    if (
        vote_type is VoteType.ORDINAL
        and ordinal_max_length is not None
        and len(indices) > ordinal_max_length
    ):
        raise TallyError(
            f"{where} ranks {len(indices)} projects, more than the allowed {ordinal_max_length}"
        )
