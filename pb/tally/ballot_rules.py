"""The four ballot rules: what a voter may mark in one project group, and what is wrong if not.

Pure Python (standard library only). A group's marks are a mapping project id -> value:

- approval: value 1 on each marked project; between `min_choices` and `max_choices` projects.
- knapsack: value 1 on each marked project; their total cost at most the group's `budget`.
- cumulative: points >= 1 on each marked project; at most `max_points` in all and at most
  `max_points_per_project` on one.
- plus-minus (D21): +1 or -1 on each marked project, one vote per project; at most `plus_votes`
  plus votes and `minus_votes` minus votes; a minus vote only once `minus_requires_plus` plus
  votes are given.
- ranked: a rank 1, 2, ... on each ranked project; at most `max_ranks` projects, each rank
  given once, starting at 1 without a gap (the points each rank earns are the count's business).

A group left blank is an abstention in that group and is always allowed; the limits apply to a
group the voter marks anything in. Each `Violation` names the rule, says what is wrong and how to
fix it, with the numbers; the web layer translates it by its `code`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum


class Rule(StrEnum):
    """The same values as `pb.editions.models.BallotRule`; repeated so this module stays pure."""

    APPROVAL = "approval"
    KNAPSACK = "knapsack"
    CUMULATIVE = "cumulative"
    PLUS_MINUS = "plus_minus"
    RANKED = "ranked"


class Code(StrEnum):
    UNKNOWN_PROJECT = "unknown_project"
    BAD_VALUE = "bad_value"
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    OVER_BUDGET = "over_budget"
    TOO_MANY_POINTS = "too_many_points"
    TOO_MANY_POINTS_ON_ONE = "too_many_points_on_one"
    TOO_MANY_PLUS = "too_many_plus"
    TOO_MANY_MINUS = "too_many_minus"
    MINUS_TOO_EARLY = "minus_too_early"
    EMPTY_BALLOT = "empty_ballot"
    RANK_TWICE = "rank_twice"
    RANK_GAP = "rank_gap"


@dataclass(frozen=True, kw_only=True)
class BallotLimits:
    """What a group's ballot allows, as the admin sets it on the group; which limits apply
    depends on the rule (see the module's docstring). Declared here once: the admin's input
    (`pb.editions.operations.CategoryInput`) extends it, `GroupRule` adds what the checks need."""

    budget: int = 0
    min_choices: int | None = None
    max_choices: int | None = None
    max_points: int | None = None
    max_points_per_project: int | None = None
    plus_votes: int | None = None
    minus_votes: int | None = None
    minus_requires_plus: int | None = None
    max_ranks: int | None = None


LIMITS = tuple(f.name for f in fields(BallotLimits))
"""The names of the limits: a group (`pb.editions.models.Category`) stores them under these."""


@dataclass(frozen=True, kw_only=True)
class GroupRule(BallotLimits):
    """One group's rule and its limits. `costs` holds every project on the group's ballot (empty
    where the rule is only stated, not checked); `points_by_rank` what each rank earns on a ranked
    ballot, for the ballot to say so (the count gives the points, not these checks)."""

    rule: Rule
    costs: Mapping[str, int] = field(default_factory=dict)
    points_by_rank: tuple[int, ...] = ()

    @property
    def approval_range(self) -> tuple[int, int | None]:
        low = self.min_choices if self.min_choices is not None else 1
        return max(low, 1), self.max_choices

    @property
    def points_per_project(self) -> int:
        total = self.max_points or 0
        per = self.max_points_per_project
        return min(per, total) if per is not None else total


@dataclass(frozen=True)
class Violation:
    """What is wrong with one group's marks: the rule, a code and the numbers that explain it."""

    rule: Rule | None
    code: Code
    group: str = ""
    values: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """English, for logs, the CLI and tests; people see the translated text."""
        v = self.values
        rule = {
            Rule.APPROVAL: "approval voting",
            Rule.KNAPSACK: "knapsack voting",
            Rule.CUMULATIVE: "cumulative voting",
            Rule.PLUS_MINUS: "plus-minus voting",
            Rule.RANKED: "ranked voting",
            None: "ballot",
        }[self.rule]
        texts = {
            Code.UNKNOWN_PROJECT: f"project {v.get('project')} is not on this group's ballot; "
            "remove the mark",
            Code.BAD_VALUE: f"the mark {v.get('value')!r} on project {v.get('project')} is not "
            f"allowed; {v.get('allowed')}",
            Code.TOO_FEW: f"you marked {v.get('given')} projects but must mark at least "
            f"{v.get('limit')}; mark more projects or leave the group blank",
            Code.TOO_MANY: f"you marked {v.get('given')} projects but may mark at most "
            f"{v.get('limit')}; remove {v.get('excess')}",
            Code.OVER_BUDGET: f"the projects you marked cost {v.get('given')} together, "
            f"{v.get('excess')} more than the group's budget of {v.get('limit')}; "
            "remove a project so the total fits",
            Code.TOO_MANY_POINTS: f"you gave {v.get('given')} points but may give at most "
            f"{v.get('limit')}; take away {v.get('excess')}",
            Code.TOO_MANY_POINTS_ON_ONE: f"you gave {v.get('given')} points to project "
            f"{v.get('project')} but may give at most {v.get('limit')} to one project",
            Code.TOO_MANY_PLUS: f"you gave {v.get('given')} plus votes but may give at most "
            f"{v.get('limit')}; remove {v.get('excess')}",
            Code.TOO_MANY_MINUS: f"you gave {v.get('given')} minus votes but may give at most "
            f"{v.get('limit')}; remove {v.get('excess')}",
            Code.MINUS_TOO_EARLY: f"a minus vote needs at least {v.get('limit')} plus votes "
            f"and you gave {v.get('given')}; add plus votes or remove the minus vote",
            Code.EMPTY_BALLOT: "the ballot is empty; mark at least one project in one group",
            Code.RANK_TWICE: f"rank {v.get('rank')} is given to {v.get('given')} projects; "
            "give each rank to one project only",
            Code.RANK_GAP: f"rank {v.get('rank')} is missing; rank your choices 1, 2, 3 ... "
            "without a gap",
        }
        return f"{rule}: {texts[self.code]}"


def _bad_value(group: GroupRule, project: str, value: int, allowed: str) -> Violation:
    """A mark the rule does not allow on `project`, with what it allows instead."""
    return Violation(
        group.rule, Code.BAD_VALUE, values={"project": project, "value": value, "allowed": allowed}
    )


def _bad_values(
    group: GroupRule, marks: Mapping[str, int], allowed: str, fits: Callable[[int], bool]
) -> list[Violation]:
    return [_bad_value(group, p, v, allowed) for p, v in marks.items() if not fits(v)]


def _over(group: GroupRule, code: Code, given: int, limit: int) -> list[Violation]:
    """A count over its limit, with how much to take away; nothing when it fits."""
    if given <= limit:
        return []
    return [
        Violation(
            group.rule, code, values={"given": given, "limit": limit, "excess": given - limit}
        )
    ]


def check_group(group: GroupRule, marks: Mapping[str, int], name: str = "") -> list[Violation]:
    """Every violation of one group's marks (empty when the marks are valid)."""
    found: list[Violation] = [
        Violation(group.rule, Code.UNKNOWN_PROJECT, values={"project": p})
        for p in marks
        if p not in group.costs
    ]
    marks = {p: v for p, v in marks.items() if p in group.costs}
    if not marks:
        return _named(found, name)
    if group.rule in (Rule.APPROVAL, Rule.KNAPSACK):
        found += _bad_values(group, marks, "mark a project or leave it unmarked", lambda v: v == 1)
        if group.rule == Rule.APPROVAL:
            given = sum(1 for v in marks.values() if v == 1)
            low, high = group.approval_range
            if given < low:
                found.append(
                    Violation(group.rule, Code.TOO_FEW, values={"given": given, "limit": low})
                )
            if high is not None:
                found += _over(group, Code.TOO_MANY, given, high)
        else:
            total = sum(group.costs[p] for p, v in marks.items() if v == 1)
            found += _over(group, Code.OVER_BUDGET, total, group.budget)
    elif group.rule == Rule.RANKED:
        found += _ranked(group, marks)
    elif group.rule == Rule.CUMULATIVE:
        per = group.points_per_project
        for p, v in marks.items():
            if v < 1:
                found.append(_bad_value(group, p, v, "give a whole number of points from 1 up"))
            elif v > per:
                found.append(
                    Violation(
                        group.rule,
                        Code.TOO_MANY_POINTS_ON_ONE,
                        values={"project": p, "given": v, "limit": per},
                    )
                )
        total = sum(v for v in marks.values() if v > 0)
        found += _over(group, Code.TOO_MANY_POINTS, total, group.max_points or 0)
    else:
        found += _bad_values(
            group, marks, "give a plus (+1) or a minus (-1)", lambda v: v in (1, -1)
        )
        plus = sum(1 for v in marks.values() if v == 1)
        minus = sum(1 for v in marks.values() if v == -1)
        found += _over(group, Code.TOO_MANY_PLUS, plus, group.plus_votes or 0)
        found += _over(group, Code.TOO_MANY_MINUS, minus, group.minus_votes or 0)
        needed = group.minus_requires_plus or 0
        if minus and plus < needed:
            found.append(
                Violation(group.rule, Code.MINUS_TOO_EARLY, values={"given": plus, "limit": needed})
            )
    return _named(found, name)


def _ranked(group: GroupRule, marks: Mapping[str, int]) -> list[Violation]:
    limit = group.max_ranks or 0
    found = _bad_values(group, marks, f"give a rank from 1 to {limit}", lambda v: 1 <= v <= limit)
    ranks = sorted(v for v in marks.values() if 1 <= v <= limit)
    found += _over(group, Code.TOO_MANY, len(marks), limit)
    for rank in sorted(set(ranks)):
        if ranks.count(rank) > 1:
            found.append(
                Violation(
                    group.rule, Code.RANK_TWICE, values={"rank": rank, "given": ranks.count(rank)}
                )
            )
    if ranks:
        missing = [r for r in range(1, max(ranks)) if r not in ranks]
        if missing:
            found.append(Violation(group.rule, Code.RANK_GAP, values={"rank": missing[0]}))
    return found


def _named(found: list[Violation], name: str) -> list[Violation]:
    if not name:
        return found
    return [Violation(v.rule, v.code, name, v.values) for v in found]


def check_ballot(
    groups: Mapping[str, GroupRule], marks: Mapping[str, Mapping[str, int]]
) -> list[Violation]:
    """Every violation of a whole ballot: group id -> marks. A ballot must not be empty."""
    found: list[Violation] = []
    for group_id, group_marks in marks.items():
        group = groups.get(group_id)
        if group is None:
            found.append(
                Violation(None, Code.UNKNOWN_PROJECT, group_id, {"project": ",".join(group_marks)})
            )
            continue
        found += check_group(group, group_marks, group_id)
    if not any(group_marks for group_marks in marks.values()):
        found.append(Violation(None, Code.EMPTY_BALLOT))
    return found


def is_valid_group(group: GroupRule, marks: Mapping[str, int]) -> bool:
    return not check_group(group, marks)
