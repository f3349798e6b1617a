"""Greedy rules: rank by score, fund down the list while the money lasts.

- greedy: skip a project that does not fit and go on;
- greedy-no-skip: stop at the first project that does not fit;
- greedy with a threshold: only projects whose score reaches the threshold take part;
- plus-minus (D21): rank by net score (plus minus minus), optionally leaving out projects with
  more minus than plus votes, then greedy;
- greedy-custom (Poznań 2023-2025): greedy-no-skip, except that the first project that does
  not fit is still funded from a reserve when the money left covers at least `reserve_share`
  of its cost (80% in Poznań); it is reported apart (`TallyResult.reserve`), as Pabulib marks
  it 2 in `selected`, and counting stops there.

Every greedy rule skips a project that cannot be carried out together with one already funded
(`exclusive`: pairs of project ids; Warsaw's § 46 ust. 5: the one ranked higher wins).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction

from pb.tally.errors import TallyError
from pb.tally.explain import ProjectOutcome, Reason, ReasonCode, TallyResult
from pb.tally.model import Election, Number
from pb.tally.scoring import Support, count_support
from pb.tally.tiebreak import GREEDY_TIE_BREAK, TieBreak


def ranking(scores: Sequence[Number], tie_keys: Sequence[tuple[object, ...]]) -> list[int]:
    """Project indices by score, highest first; equal scores in tie-break order."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], tie_keys[i]))


def greedy(
    election: Election,
    *,
    tie_break: TieBreak = GREEDY_TIE_BREAK,
    threshold: Number | None = None,
    no_skip: bool = False,
    withdrawn: Collection[str] = (),
    rule: str = "greedy",
    reserve_share: Fraction | None = None,
    exclusive: Iterable[tuple[str, str]] = (),
) -> TallyResult:
    """Fund projects by score; `threshold` leaves out projects scoring below it.

    With `reserve_share` (greedy-custom) counting stops at the first project that does not
    fit, which is funded from the reserve if the money left is at least that share of its cost.
    """

    def below_threshold(support: Support) -> Iterator[tuple[int, Reason]]:
        if threshold is None:
            return
        for index, score in enumerate(support.scores):
            if score < threshold:
                yield index, Reason.of(ReasonCode.BELOW_THRESHOLD, score=score, threshold=threshold)

    return _by_score(
        election,
        tie_break,
        withdrawn,
        below_threshold,
        exclusive,
        no_skip=no_skip or reserve_share is not None,
        rule=rule,
        reserve_share=reserve_share,
    )


def _by_score(
    election: Election,
    tie_break: TieBreak,
    withdrawn: Collection[str],
    left_out: Callable[[Support], Iterable[tuple[int, Reason]]],
    exclusive: Iterable[tuple[str, str]],
    *,
    no_skip: bool,
    rule: str,
    reserve_share: Fraction | None = None,
) -> TallyResult:
    """Fund by score, without the withdrawn projects and those `left_out` names (a withdrawn
    project keeps its own reason)."""
    support = count_support(election)
    excluded = _withdrawn_reasons(election, withdrawn)
    for index, reason in left_out(support):
        if index not in excluded:
            excluded[index] = reason
    return _fund_in_order(
        election,
        support,
        support.scores,
        tie_break,
        excluded,
        no_skip=no_skip,
        rule=rule,
        reserve_share=reserve_share,
        conflicts=conflict_map(election, exclusive),
    )


def conflict_map(election: Election, pairs: Iterable[tuple[str, str]]) -> dict[int, set[int]]:
    """Project index -> indices of the projects it cannot be carried out with."""
    conflicts: dict[int, set[int]] = {}
    for first, second in pairs:
        indices = []
        for project_id in (first, second):
            index = election.index_of.get(project_id)
            if index is None:
                raise TallyError(
                    f"exclusive pair {first}:{second} names unknown project {project_id!r}"
                )
            indices.append(index)
        if indices[0] == indices[1]:
            raise TallyError(f"exclusive pair {first}:{second} names one project twice")
        conflicts.setdefault(indices[0], set()).add(indices[1])
        conflicts.setdefault(indices[1], set()).add(indices[0])
    return conflicts


def conflict_reason(
    election: Election, conflicts: Mapping[int, set[int]], index: int, funded: Collection[int]
) -> Reason | None:
    """EXCLUSIVE_WITH_FUNDED naming the funded project `index` conflicts with, if any."""
    for other in sorted(conflicts.get(index, ()), key=lambda i: election.projects[i].id):
        if other in funded:
            return Reason.of(ReasonCode.EXCLUSIVE_WITH_FUNDED, funded=election.projects[other].id)
    return None


def plus_minus(
    election: Election,
    *,
    tie_break: TieBreak = GREEDY_TIE_BREAK,
    exclude_more_minus_than_plus: bool = False,
    withdrawn: Collection[str] = (),
    rule: str = "plus-minus",
    exclusive: Iterable[tuple[str, str]] = (),
) -> TallyResult:
    """D21: the net score (sum of the +1 and -1 votes) ranks the projects, then greedy."""

    def more_minus_than_plus(support: Support) -> Iterator[tuple[int, Reason]]:
        if not exclude_more_minus_than_plus:
            return
        for index, (plus, minus) in enumerate(
            zip(support.supporters, support.opponents, strict=True)
        ):
            if minus > plus:
                yield index, Reason.of(ReasonCode.MORE_MINUS_THAN_PLUS, plus=plus, minus=minus)

    return _by_score(
        election, tie_break, withdrawn, more_minus_than_plus, exclusive, no_skip=False, rule=rule
    )


def _withdrawn_reasons(election: Election, withdrawn: Collection[str]) -> dict[int, Reason]:
    reasons = {}
    for project_id in withdrawn:
        index = election.index_of.get(project_id)
        if index is None:
            raise TallyError(f"cannot withdraw unknown project {project_id!r}")
        reasons[index] = Reason.of(ReasonCode.WITHDRAWN)
    return reasons


def _fund_in_order(
    election: Election,
    support: Support,
    scores: Sequence[Number],
    tie_break: TieBreak,
    excluded: dict[int, Reason],
    *,
    no_skip: bool,
    rule: str,
    reserve_share: Fraction | None = None,
    conflicts: Mapping[int, set[int]] | None = None,
) -> TallyResult:
    order = ranking(scores, tie_break.keys(election, support.supporters))
    remaining = election.budget
    selected: list[str] = []
    funded: set[int] = set()
    reserve: list[str] = []
    stopped_at: tuple[str, int] | None = None  # (project id, money left) once no-skip stops
    outcomes = []
    for index in order:
        project = election.projects[index]
        reason = excluded.get(index)
        if reason is None and stopped_at is not None:
            reason = Reason.of(
                ReasonCode.STOPPED_NO_SKIP, stopped_at=stopped_at[0], remaining=stopped_at[1]
            )
        if reason is None and conflicts:
            reason = conflict_reason(election, conflicts, index, funded)
        if reason is None:
            if project.cost <= remaining:
                reason = Reason.of(
                    ReasonCode.SELECTED,
                    remaining_before=remaining,
                    remaining_after=remaining - project.cost,
                )
                remaining -= project.cost
                selected.append(project.id)
                funded.add(index)
            elif reserve_share is not None and remaining >= reserve_share * project.cost:
                reason = Reason.of(
                    ReasonCode.FUNDED_FROM_RESERVE,
                    left_percent=remaining * 100 // project.cost,
                    remaining=remaining,
                    cost=project.cost,
                    reserve_percent=_percent(reserve_share),
                )
                reserve.append(project.id)
                funded.add(index)
                stopped_at = (project.id, remaining)
            else:
                reason = Reason.of(ReasonCode.DID_NOT_FIT, cost=project.cost, remaining=remaining)
                if no_skip:
                    stopped_at = (project.id, remaining)
        outcomes.append(
            ProjectOutcome(
                project_id=project.id,
                cost=project.cost,
                score=scores[index],
                supporters=support.supporters[index],
                selected=reason.code is ReasonCode.SELECTED,
                reason=reason,
                from_reserve=reason.code is ReasonCode.FUNDED_FROM_RESERVE,
            )
        )
    return TallyResult(
        rule=rule,
        budget=election.budget,
        selected=tuple(selected),
        spent=election.budget - remaining,
        projects=tuple(outcomes),
        tie_break=tie_break.describe(),
        reserve=tuple(reserve),
    )


def _percent(share: Fraction) -> int | Fraction:
    value = share * 100
    return value.numerator if value.denominator == 1 else value


def greedy_fill(
    election: Election,
    support: Support,
    order: Sequence[int],
    already_selected: Collection[int],
    budget_left: int,
    conflicts: Mapping[int, set[int]] | None = None,
) -> tuple[list[int], dict[int, Reason]]:
    """Complete an outcome: fund unselected projects in `order` while they fit the money left.

    Returns the newly selected indices and a reason for every project it considered.
    """
    chosen: list[int] = []
    reasons: dict[int, Reason] = {}
    remaining = budget_left
    funded = set(already_selected)
    for index in order:
        if index in already_selected:
            continue
        if conflicts:
            conflict = conflict_reason(election, conflicts, index, funded)
            if conflict is not None:
                reasons[index] = conflict
                continue
        cost = election.projects[index].cost
        if cost <= remaining:
            reasons[index] = Reason.of(
                ReasonCode.GREEDY_FILL_SELECTED,
                remaining_before=remaining,
                remaining_after=remaining - cost,
            )
            remaining -= cost
            chosen.append(index)
            funded.add(index)
        else:
            reasons[index] = Reason.of(ReasonCode.DID_NOT_FIT, cost=cost, remaining=remaining)
    return chosen, reasons
