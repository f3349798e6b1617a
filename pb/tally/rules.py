"""The rules by name: one entry point for the web app, the command line and the tests."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import partial

from pb.tally.equal_shares import equal_shares
from pb.tally.errors import TallyError
from pb.tally.explain import TallyResult
from pb.tally.greedy import greedy, plus_minus
from pb.tally.model import Election, Number, VoteType
from pb.tally.scoring import ordinal_points_note
from pb.tally.tiebreak import (
    EQUAL_SHARES_TIE_BREAK,
    GREEDY_TIE_BREAK,
    ORDINAL_GREEDY_TIE_BREAK,
    TieBreak,
)


@dataclass(frozen=True)
class RuleOptions:
    """What a caller may set besides the rule name."""

    tie_break: TieBreak | None = None
    """None: the rule's own default (see `RuleSpec.default_tie_break`)."""
    threshold: Number | None = None
    """Minimum score for greedy rules (Pabulib's min_project_score_threshold)."""
    exclude_more_minus_than_plus: bool = False
    """plus-minus only: leave out projects with more minus than plus votes."""
    withdrawn: tuple[str, ...] = ()
    """Project ids taken out of the tally after voting (their votes stay on the ballots)."""
    reserve_share: Fraction | None = None
    """greedy-custom only: the share of its cost that must be left for the first project that
    does not fit to be funded from the reserve (None: DEFAULT_RESERVE_SHARE)."""
    exclusive: tuple[tuple[str, str], ...] = ()
    """Pairs of project ids that cannot both be carried out: every rule skips a project that
    conflicts with one already funded."""


DEFAULT_RESERVE_SHARE = Fraction(4, 5)
"""Poznań's reserve rule (2023-2025): at least 80% of the project's cost is left."""


@dataclass(frozen=True)
class RuleSpec:
    name: str
    summary: str
    default_tie_break: TieBreak
    run: Callable[[Election, RuleOptions, TieBreak, str], TallyResult]
    takes_threshold: bool = False
    needs_threshold: bool = False
    takes_reserve_share: bool = False
    needs_exclusive: bool = False


# Each rule runs as run(election, options, tie_break, name); a variant's own settings are bound
# with functools.partial, so that one function serves each family of rules.


def _greedy(
    election: Election,
    options: RuleOptions,
    tie_break: TieBreak,
    name: str,
    *,
    no_skip: bool = False,
    reserve: bool = False,
) -> TallyResult:
    return greedy(
        election,
        tie_break=tie_break,
        threshold=options.threshold,
        no_skip=no_skip,
        withdrawn=options.withdrawn,
        rule=name,
        reserve_share=(options.reserve_share or DEFAULT_RESERVE_SHARE) if reserve else None,
        exclusive=options.exclusive,
    )


def _plus_minus(
    election: Election, options: RuleOptions, tie_break: TieBreak, name: str
) -> TallyResult:
    return plus_minus(
        election,
        tie_break=tie_break,
        exclude_more_minus_than_plus=options.exclude_more_minus_than_plus,
        withdrawn=options.withdrawn,
        rule=name,
        exclusive=options.exclusive,
    )


def _equal_shares(
    add_one: bool,
    compare: bool,
    fill: bool,
    election: Election,
    options: RuleOptions,
    tie_break: TieBreak,
    name: str,
) -> TallyResult:
    return equal_shares(
        election,
        add_one=add_one,
        compare_with_greedy=compare,
        greedy_fill_after=fill,
        tie_break=tie_break,
        withdrawn=options.withdrawn,
        rule=name,
        exclusive=options.exclusive,
    )


_SPECS = (
    RuleSpec(
        "greedy",
        "by score; skip what does not fit, go on",
        GREEDY_TIE_BREAK,
        _greedy,
        takes_threshold=True,
    ),
    RuleSpec(
        "greedy-no-skip",
        "by score; stop at the first project that does not fit",
        GREEDY_TIE_BREAK,
        partial(_greedy, no_skip=True),
        takes_threshold=True,
    ),
    RuleSpec(
        "greedy-threshold",
        "greedy among projects whose score reaches the threshold",
        GREEDY_TIE_BREAK,
        _greedy,
        takes_threshold=True,
        needs_threshold=True,
    ),
    RuleSpec(
        "greedy-custom",
        "greedy-no-skip, but the first project that does not fit is funded from a reserve if "
        "the money left covers the reserve share of its cost (Poznań: 80%)",
        GREEDY_TIE_BREAK,
        partial(_greedy, no_skip=True, reserve=True),
        takes_reserve_share=True,
    ),
    RuleSpec(
        "greedy-exclusive",
        "greedy, skipping a project that cannot be carried out with one already funded "
        "(Warsaw); needs the exclusive pairs",
        GREEDY_TIE_BREAK,
        _greedy,
        takes_threshold=True,
        needs_exclusive=True,
    ),
    RuleSpec(
        "plus-minus",
        "D21: net score (plus minus minus votes), then greedy",
        GREEDY_TIE_BREAK,
        _plus_minus,
    ),
    # Equal shares: partial(_equal_shares, add-one completion, compared with greedy, greedy fill)
    RuleSpec(
        "equalshares",
        "Method of Equal Shares, cost utilities, budget / voters each",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, False, False, False),
    ),
    RuleSpec(
        "equalshares+greedy",
        "equal shares, then the money left filled greedily by score",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, False, False, True),
    ),
    RuleSpec(
        "equalshares-comparison",
        "equal shares, replaced by greedy if more voters prefer it",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, False, True, False),
    ),
    RuleSpec(
        "equalshares/add1",
        "equal shares with Pabulib's add-one completion",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, True, False, False),
    ),
    RuleSpec(
        "equalshares/add1+greedy",
        "add-one equal shares, then a greedy fill of what is left",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, True, False, True),
    ),
    RuleSpec(
        "equalshares/add1-comparison",
        "add-one equal shares, replaced by greedy if more voters prefer it (Wieliczka)",
        EQUAL_SHARES_TIE_BREAK,
        partial(_equal_shares, True, True, False),
    ),
)

RULES: dict[str, RuleSpec] = {spec.name: spec for spec in _SPECS}
"""Every rule the engine implements, by its Pabulib name (ours where Pabulib has none)."""


def tally(
    election: Election,
    rule: str,
    *,
    tie_break: TieBreak | None = None,
    threshold: Number | None = None,
    exclude_more_minus_than_plus: bool = False,
    withdrawn: Collection[str] = (),
    reserve_share: Fraction | None = None,
    exclusive: Iterable[tuple[str, str]] = (),
) -> TallyResult:
    """Count one category by the named rule and explain every project.

    Raises TallyError for an unknown rule or options the rule does not take.
    """
    return tally_with(
        election,
        rule,
        RuleOptions(
            tie_break=tie_break,
            threshold=threshold,
            exclude_more_minus_than_plus=exclude_more_minus_than_plus,
            withdrawn=tuple(withdrawn),
            reserve_share=reserve_share,
            exclusive=tuple((str(a), str(b)) for a, b in exclusive),
        ),
    )


def tally_with(election: Election, rule: str, options: RuleOptions) -> TallyResult:
    spec = RULES.get(rule)
    if spec is None:
        raise TallyError(f"unknown rule {rule!r}; known rules: {', '.join(RULES)}")
    if spec.needs_threshold and options.threshold is None:
        raise TallyError(f"rule {rule} needs a threshold (min_project_score_threshold)")
    if options.threshold is not None and not spec.takes_threshold:
        raise TallyError(f"rule {rule} takes no threshold")
    if options.exclude_more_minus_than_plus and rule != "plus-minus":
        raise TallyError("only the plus-minus rule can exclude projects with more minus votes")
    if options.reserve_share is not None:
        if not spec.takes_reserve_share:
            raise TallyError(f"rule {rule} takes no reserve share")
        if not 0 < options.reserve_share <= 1:
            raise TallyError(
                f"the reserve share must be above 0 and at most 1, got {options.reserve_share}"
            )
    if spec.needs_exclusive and not options.exclusive:
        raise TallyError(
            f"rule {rule} needs the pairs of mutually exclusive projects "
            "(META exclusive_pairs, e.g. 12:15;3:4)"
        )
    tie_break = options.tie_break or spec.default_tie_break
    if (
        options.tie_break is None
        and election.vote_type is VoteType.ORDINAL
        and tie_break is GREEDY_TIE_BREAK
    ):
        tie_break = ORDINAL_GREEDY_TIE_BREAK
    result = spec.run(election, options, tie_break, rule)
    note = ordinal_points_note(election)
    if note is not None:
        result = replace(result, notes=(note, *result.notes))
    return result
