"""What the ballot pages of both channels share: reading the marks, ordering, summarising."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from pb.editions.models import BallotRule
from pb.voting.casting import BallotDefinition, GroupOnBallot, ProposalOnBallot

_FIELD = re.compile(r"^p([0-9]{1,9})$")
# A value that is not a whole number: kept so that the rule check names the project and refuses it.
UNREADABLE = -1_000_000


def field_name(proposal: ProposalOnBallot) -> str:
    return f"p{proposal.id}"


def read_marks(form: MultiDict) -> dict[int, int]:
    """Proposal id -> value from the ballot's inputs `p<id>`; blank and 0 mean unmarked."""
    marks: dict[int, int] = {}
    for name, value in form.items():
        match = _FIELD.match(name)
        if match is None:
            continue
        value = (value or "").strip()
        if value in ("", "0"):
            continue
        try:
            marks[int(match.group(1))] = int(value)
        except ValueError:
            marks[int(match.group(1))] = UNREADABLE
    return marks


@dataclass(frozen=True)
class SummaryLine:
    proposal: ProposalOnBallot
    value: int


@dataclass(frozen=True)
class GroupStanding:
    """Where a group of the ballot stands with the marks made so far: what the ballot's summary
    box shows (chosen projects; money, points or votes left). Presentation only; the rules are
    checked by `casting.check_marks`."""

    group: GroupOnBallot
    chosen: list[SummaryLine]

    @property
    def count(self) -> int:
        return sum(1 for line in self.chosen if line.value > 0)

    @property
    def total_cost(self) -> int:
        return sum(line.proposal.cost for line in self.chosen if line.value > 0)

    @property
    def money_left(self) -> int:
        return self.group.rule.budget - self.total_cost

    @property
    def points_given(self) -> int:
        return sum(line.value for line in self.chosen if line.value > 0)

    @property
    def points_left(self) -> int:
        return (self.group.rule.max_points or 0) - self.points_given

    @property
    def choices_left(self) -> int | None:
        if not self.group.rule.max_choices:
            return None
        return self.group.rule.max_choices - self.count

    @property
    def plus_given(self) -> int:
        return sum(1 for line in self.chosen if line.value == 1)

    @property
    def minus_given(self) -> int:
        return sum(1 for line in self.chosen if line.value == -1)

    @property
    def over(self) -> bool:
        """Whether a limit the box counts is exceeded (shown, never enforced here)."""
        rule = self.group.ballot_rule
        if rule == BallotRule.KNAPSACK:
            return self.money_left < 0
        if rule == BallotRule.CUMULATIVE:
            return self.points_left < 0
        if rule == BallotRule.PLUS_MINUS:
            return self.plus_given > (self.group.rule.plus_votes or 0) or self.minus_given > (
                self.group.rule.minus_votes or 0
            )
        left = self.choices_left
        return left is not None and left < 0


@dataclass(frozen=True)
class GroupView:
    group: GroupOnBallot
    proposals: list[ProposalOnBallot]
    problems: list[str]

    def standing(self, marks: Mapping[int, int]) -> GroupStanding:
        """The group's marks in the order the voter sees the projects (plus votes first)."""
        chosen = [SummaryLine(p, marks[p.id]) for p in self.proposals if marks.get(p.id)]
        chosen.sort(key=lambda line: -1 if line.value > 0 else 0)
        return GroupStanding(self.group, chosen)


def group_views(
    definition: BallotDefinition,
    district_id: int | None,
    problems: Mapping[int | None, list[str]] | None = None,
    seed: str | None = None,
) -> list[GroupView]:
    """The voter's groups; with a seed the proposals are shuffled the same way on every page of
    this voter's session (a random order per voter), without one they keep their numbers' order
    (the paper ballot's order)."""
    problems = problems or {}
    views = []
    for group in definition.groups_for(district_id):
        proposals = list(group.proposals)
        if seed is not None:
            random.Random(f"{seed}:{group.category_id}").shuffle(proposals)
        views.append(GroupView(group, proposals, list(problems.get(group.category_id, []))))
    return views


@dataclass(frozen=True)
class GroupSummary:
    group: GroupOnBallot
    lines: list[SummaryLine]

    @property
    def total_cost(self) -> int:
        return sum(line.proposal.cost for line in self.lines if line.value > 0)

    @property
    def total_points(self) -> int:
        return sum(line.value for line in self.lines if line.value > 0)


def summary(
    definition: BallotDefinition, district_id: int | None, marks: Mapping[int, int]
) -> list[GroupSummary]:
    """The choices per group, for the confirmation step: plus votes before minus votes."""
    result = []
    for group in definition.groups_for(district_id):
        lines = [SummaryLine(p, marks[p.id]) for p in group.proposals if marks.get(p.id)]
        if group.ballot_rule == BallotRule.PLUS_MINUS:
            lines.sort(key=lambda line: -line.value)
        elif group.ballot_rule == BallotRule.RANKED:
            lines.sort(key=lambda line: line.value)  # first rank first
        result.append(GroupSummary(group, lines))
    return result


def hidden_marks(marks: Mapping[int, int]) -> list[tuple[str, int]]:
    """The marks as hidden inputs of the confirmation form."""
    return [(f"p{pid}", value) for pid, value in sorted(marks.items()) if value]
