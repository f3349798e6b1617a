"""Explicit tie-breaking: which of two equally good projects goes first.

A tie-break is a list of criteria tried in order; the project id (as text, the way pabutools
compares names) always closes the list, so the order is total and every tally deterministic.
A lottery criterion orders projects by a hash of a published seed and the project id, so anyone
can redo the draw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pb.tally.errors import TallyError
from pb.tally.model import Election, VoteType


class TieBreakCriterion(StrEnum):
    LOWER_COST = "lower-cost"
    MORE_SUPPORTERS = "more-supporters"
    PROJECT_ID = "project-id"
    LISTED_ORDER = "listed-order"
    """The order in which the projects were given (the file's PROJECTS order)."""
    LOTTERY = "lottery"
    """SHA-256 of '<seed>:<project id>', lowest first; needs `lottery_seed`."""
    MORE_TOP_RANKS = "more-top-ranks"
    """Ordinal ballots: more first ranks, then more second ranks, ... (Kraków's rule for
    equal points); no effect on other ballots."""


@dataclass(frozen=True)
class TieBreak:
    criteria: tuple[TieBreakCriterion, ...]
    lottery_seed: str | None = None

    def __post_init__(self) -> None:
        if TieBreakCriterion.LOTTERY in self.criteria and not self.lottery_seed:
            raise TallyError("a lottery tie-break needs a published seed")

    @classmethod
    def parse(cls, text: str, lottery_seed: str | None = None) -> TieBreak:
        """'lower-cost,project-id' -> TieBreak; names the unknown criterion otherwise."""
        criteria = []
        for name in (part.strip() for part in text.split(",") if part.strip()):
            try:
                criteria.append(TieBreakCriterion(name))
            except ValueError:
                known = ", ".join(c.value for c in TieBreakCriterion)
                raise TallyError(f"unknown tie-break {name!r}; known: {known}") from None
        return cls(tuple(criteria), lottery_seed)

    def describe(self) -> str:
        names = [c.value for c in self.criteria]
        if TieBreakCriterion.PROJECT_ID not in self.criteria:
            names.append(TieBreakCriterion.PROJECT_ID.value)
        return ", then ".join(names)

    def keys(self, election: Election, supporters: Sequence[int]) -> list[tuple[object, ...]]:
        """Per project, a sort key: the smaller key wins a tie."""
        ranks = (
            _rank_counts(election) if TieBreakCriterion.MORE_TOP_RANKS in self.criteria else None
        )
        result = []
        for index, project in enumerate(election.projects):
            key: list[object] = []
            for criterion in self.criteria:
                if criterion is TieBreakCriterion.LOWER_COST:
                    key.append(project.cost)
                elif criterion is TieBreakCriterion.MORE_SUPPORTERS:
                    key.append(-supporters[index])
                elif criterion is TieBreakCriterion.PROJECT_ID:
                    key.append(project.id)
                elif criterion is TieBreakCriterion.LISTED_ORDER:
                    key.append(index)
                elif criterion is TieBreakCriterion.MORE_TOP_RANKS:
                    assert ranks is not None
                    key.append(tuple(-count for count in ranks[index]))
                else:
                    digest = hashlib.sha256(f"{self.lottery_seed}:{project.id}".encode())
                    key.append(digest.hexdigest())
            key.extend((project.id, index))
            result.append(tuple(key))
        return result


def _rank_counts(election: Election) -> list[list[int]]:
    """Per project, how many voters ranked it first, second, ... (ordinal ballots only)."""
    if election.vote_type is not VoteType.ORDINAL:
        return [[] for _ in election.projects]
    longest = max((len(b.projects) for b in election.ballots), default=0)
    counts = [[0] * longest for _ in election.projects]
    for ballot in election.ballots:
        for rank, index in enumerate(ballot.projects):
            counts[index][rank] += ballot.count
    return counts


GREEDY_TIE_BREAK = TieBreak((TieBreakCriterion.LOWER_COST, TieBreakCriterion.PROJECT_ID))
"""Equal score: the cheaper project first, then the project id."""

EQUAL_SHARES_TIE_BREAK = TieBreak(
    (
        TieBreakCriterion.LOWER_COST,
        TieBreakCriterion.MORE_SUPPORTERS,
        TieBreakCriterion.PROJECT_ID,
    )
)
"""Pabulib's rule for equal shares: the cheaper project, then the one with more supporters."""

ORDINAL_GREEDY_TIE_BREAK = TieBreak(
    (
        TieBreakCriterion.MORE_TOP_RANKS,
        TieBreakCriterion.LOWER_COST,
        TieBreakCriterion.PROJECT_ID,
    )
)
"""Greedy rules on ranked ballots: equal points go to the project ranked first more often
(Kraków, the only city with ranked ballots in Pabulib: Czyżyny 2022 funded project 26,
7 first ranks, over 24, 5 first ranks, both 40 points), then the cheaper one."""

PABUTOOLS_TIE_BREAK = TieBreak((TieBreakCriterion.PROJECT_ID,))
"""pabutools' lexicographic tie-breaking on the project name."""
