"""Why each project won or lost: structured reasons (a code and its numbers) and their English text.

The web app translates reasons from `code` and `values`; the command line prints `text`.
Numbers stay exact (int or Fraction); only the English text rounds fractions for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from pb.tally.model import Number

ReasonValue = int | Fraction | str


class ReasonCode(StrEnum):
    # selected
    SELECTED = "selected"
    EQUAL_SHARES_BOUGHT = "equal_shares_bought"
    SELECTED_FREE = "selected_free"
    GREEDY_FILL_SELECTED = "greedy_fill_selected"
    FUNDED_FROM_RESERVE = "funded_from_reserve"
    # not selected
    DID_NOT_FIT = "did_not_fit"
    STOPPED_NO_SKIP = "stopped_no_skip"
    BELOW_THRESHOLD = "below_threshold"
    MORE_MINUS_THAN_PLUS = "more_minus_than_plus"
    WITHDRAWN = "withdrawn"
    EXCLUSIVE_WITH_FUNDED = "exclusive_with_funded"
    NO_SUPPORTERS = "no_supporters"
    SUPPORTERS_CANNOT_AFFORD = "supporters_cannot_afford"
    # notes about the whole result
    ADD1_VOTER_BUDGET = "add1_voter_budget"
    COMPARISON_KEPT_EQUAL_SHARES = "comparison_kept_equal_shares"
    COMPARISON_CHOSE_GREEDY = "comparison_chose_greedy"
    ORDINAL_POINTS_WRITTEN = "ordinal_points_written"
    ORDINAL_POINTS_PER_BALLOT = "ordinal_points_per_ballot"
    ORDINAL_POINTS_SET = "ordinal_points_set"
    ORDINAL_POINTS_BORDA = "ordinal_points_borda"


_TEMPLATES: Mapping[ReasonCode, str] = {
    ReasonCode.SELECTED: "selected: fitted the remaining {remaining_before}, {remaining_after} "
    "left after it",
    ReasonCode.EQUAL_SHARES_BOUGHT: "selected in round {round} of equal shares: its "
    "{supporters} supporters paid {price_per_supporter} each",
    ReasonCode.SELECTED_FREE: "selected: costs nothing and {supporters} voters support it",
    ReasonCode.GREEDY_FILL_SELECTED: "selected by the greedy fill after equal shares: fitted "
    "the remaining {remaining_before}, {remaining_after} left after it",
    ReasonCode.FUNDED_FROM_RESERVE: "funded from the reserve: {left_percent}% of its cost was "
    "left ({remaining} of {cost}; the rule funds the first project that does not fit when at "
    "least {reserve_percent}% of its cost is left), and counting stops here",
    ReasonCode.EXCLUSIVE_WITH_FUNDED: "not selected: cannot be carried out together with "
    "project {funded}, which was funded first",
    ReasonCode.DID_NOT_FIT: "not selected: costs {cost}, did not fit the remaining {remaining}",
    ReasonCode.STOPPED_NO_SKIP: "not selected: stopped: no-skip rule (counting ended at "
    "project {stopped_at}, which did not fit the remaining {remaining})",
    ReasonCode.BELOW_THRESHOLD: "not selected: score {score} is below the threshold of {threshold}",
    ReasonCode.MORE_MINUS_THAN_PLUS: "not selected: more minus votes ({minus}) than plus "
    "votes ({plus})",
    ReasonCode.WITHDRAWN: "not selected: withdrawn from the tally",
    ReasonCode.NO_SUPPORTERS: "not selected: no voter supports it",
    ReasonCode.SUPPORTERS_CANNOT_AFFORD: "not selected: in round {round} of equal shares its "
    "{supporters} supporters had {supporters_money} left, less than its cost {cost}",
    ReasonCode.ADD1_VOTER_BUDGET: "equal shares ran with {voter_budget} per voter "
    "({virtual_budget} in all), reached in {steps} add-one steps; the outcome is the last one "
    "that fits the budget of {budget}",
    ReasonCode.COMPARISON_KEPT_EQUAL_SHARES: "equal shares kept: {prefer_equal_shares} voters "
    "prefer its outcome, {prefer_greedy} prefer the greedy outcome",
    ReasonCode.ORDINAL_POINTS_WRITTEN: "points by rank as every ballot gives them: {points} "
    "(first rank first); a project's score is the sum of its points",
    ReasonCode.ORDINAL_POINTS_PER_BALLOT: "points as written on each of the {ballots} distinct "
    "ranked ballots (the points by rank differ between ballots); a project's score is their sum",
    ReasonCode.ORDINAL_POINTS_SET: "points by rank as the election sets them: {points} (first "
    "rank first); a project's score is the sum of its points",
    ReasonCode.ORDINAL_POINTS_BORDA: "points by rank (Borda: the longest ranking minus the "
    "position): {points}; a project's score is the sum of its points",
    ReasonCode.COMPARISON_CHOSE_GREEDY: "greedy outcome chosen: {prefer_greedy} voters prefer "
    "it, only {prefer_equal_shares} prefer the equal-shares outcome",
}


def format_number(value: ReasonValue) -> str:
    """Whole numbers grouped by thousands with a space; fractions rounded to 2 decimals."""
    if isinstance(value, str):
        return value
    if isinstance(value, Fraction) and value.denominator != 1:
        hundredths = (abs(value) * 100 * 2 + 1) // 2  # round half up, exactly
        whole, cents = divmod(int(hundredths), 100)
        sign = "-" if value < 0 else ""
        return f"{sign}{whole:,}.{cents:02d}".replace(",", " ")
    return f"{int(value):,}".replace(",", " ")


@dataclass(frozen=True)
class Reason:
    """A machine-readable reason: a code and the numbers that explain it."""

    code: ReasonCode
    values: tuple[tuple[str, ReasonValue], ...] = ()

    @classmethod
    def of(cls, code: ReasonCode, **values: ReasonValue) -> Reason:
        return cls(code, tuple(values.items()))

    @property
    def value_map(self) -> dict[str, ReasonValue]:
        return dict(self.values)

    @property
    def text(self) -> str:
        formatted = {name: format_number(value) for name, value in self.values}
        text = _TEMPLATES[self.code].format(**formatted)
        if self.code is ReasonCode.EQUAL_SHARES_BOUGHT:
            values = self.value_map
            poorer = int(values["supporters"]) - int(values["paying_full_price"])
            if poorer:
                text += f" ({poorer} of them had less left and paid all they had)"
        return text


@dataclass(frozen=True)
class ProjectOutcome:
    """One project's line in a result."""

    project_id: str
    cost: int
    score: Number
    supporters: int
    selected: bool
    reason: Reason
    from_reserve: bool = False
    """Funded from a reserve outside the budget (greedy-custom); `selected` is then False."""


@dataclass(frozen=True)
class TallyResult:
    """The winners of one tally and the explanation of every project.

    `projects` lists every project in the order the rule considered it (greedy: the ranking;
    equal shares: bought ones in round order, then the others by score).
    """

    rule: str
    budget: int
    selected: tuple[str, ...]
    """Project ids in the order they were selected."""
    spent: int
    projects: tuple[ProjectOutcome, ...]
    notes: tuple[Reason, ...] = ()
    tie_break: str = ""
    reserve: tuple[str, ...] = ()
    """Projects funded from a reserve outside the budget (greedy-custom; Pabulib's
    `selected` = 2); not in `selected`, and their cost is not in `spent`."""

    @property
    def money_left(self) -> int:
        return self.budget - self.spent

    def outcome_of(self, project_id: str) -> ProjectOutcome:
        for outcome in self.projects:
            if outcome.project_id == project_id:
                return outcome
        raise KeyError(project_id)
