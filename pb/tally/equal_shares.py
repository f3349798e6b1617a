"""The Method of Equal Shares with cost utilities, exactly, and fast enough for a whole city.

Every voter gets an equal share of the budget. In each round, every project still in play asks
its supporters to pay its cost: each pays the same price q, or everything they have left if that
is less. The project whose price per unit of cost (q / cost) is lowest is bought; a project whose
supporters together hold less than its cost drops out for good. With cost utilities the first
rounds buy the projects with the most supporters, later rounds what the remaining money of
like-minded voters can still afford.

Variants (rule names as in Pabulib):
- `equalshares`: each voter starts with budget / voters;
- `equalshares/add1`: Pabulib's completion (Swiecie, Assen): voters start with floor(B / n)
  each and get one more unit per step; the outcome kept is the last one that still fits the real
  budget (the first step that overspends ends the search);
- `-comparison` (Wieliczka's Green Budget): the outcome is compared voter by voter with the
  greedy outcome (number of supported winners); if more voters prefer greedy, greedy wins;
- `+greedy`: the money equal shares leaves is filled greedily by score.

How it stays fast and exact:
- voters who cast the same ballot always hold the same money, so the work is per distinct ballot;
- voters who supported the same winners so far hold the same money too: they form a "class"
  (the set of those winners), and each project keeps a histogram class -> number of supporters;
  a round costs the size of a few histograms, not the number of voters;
- money is an integer over a common denominator that grows when a price is not whole, so every
  comparison is an integer comparison (no Fraction objects in the inner loops), and the price
  itself is found by a sort and a bisection over prefix sums that run in C;
- the add-one steps share work: which voters fall into which class depends only on the set of
  projects bought, not on the budget nor the order, so a step reuses the histograms of every
  set of winners the previous step went through;
- a project whose supporters start with less than its cost is dropped at once and not followed.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate, chain, compress
from math import gcd
from operator import add, mul

from pb.tally.errors import TallyError
from pb.tally.explain import ProjectOutcome, Reason, ReasonCode, TallyResult
from pb.tally.greedy import conflict_map, greedy, greedy_fill, ranking
from pb.tally.model import Election
from pb.tally.scoring import Support, count_support, supported_projects
from pb.tally.tiebreak import EQUAL_SHARES_TIE_BREAK, GREEDY_TIE_BREAK, TieBreak

# Lower bounds on a project's price per unit of cost are kept as integers
# floor(value * 2**_BOUND_BITS) so that ordering the candidates never needs a Fraction.
_BOUND_BITS = 64

# Counting keys pack (project, class) into one int: project << _CLASS_BITS | class.
_CLASS_BITS = 40
_CLASS_MASK = (1 << _CLASS_BITS) - 1

# A ballot cast by up to this many voters is counted by repeating it (fast in C); more, by
# adding its weight in Python. Measured on Lodz 2022: 4 halves the counting work.
_REPEAT_AT_MOST = 4

MAX_ADD_ONE_STEPS = 1_000_000
"""A guard on the runs of the add-one search; a city election needs a few hundred, and the
look-ahead (`next_change`) bounds it by the number of changes of the outcome, not of units."""


@dataclass(frozen=True)
class Purchase:
    """A project bought by equal shares."""

    project: int
    round: int
    paying_full_price: int
    """Supporters who paid the full price (the others paid everything they had left)."""
    paid_by_them: int
    """What those supporters paid together, in units of 1/unit."""
    unit: int

    @property
    def price_per_supporter(self) -> Fraction:
        """The most any supporter paid; supporters with less money left paid all they had."""
        return Fraction(self.paid_by_them, self.paying_full_price * self.unit)


@dataclass(frozen=True)
class Dropout:
    """A project whose supporters could no longer afford it."""

    project: int
    round: int
    money_held: int
    """What its supporters held together, in units of 1/unit."""
    unit: int

    @property
    def supporters_money(self) -> Fraction:
        return Fraction(self.money_held, self.unit)


@dataclass(frozen=True)
class EqualSharesOutcome:
    purchases: tuple[Purchase, ...]
    dropouts: tuple[Dropout, ...]
    free: tuple[int, ...]
    """Projects costing nothing that someone supports: bought before the first round."""
    spent: int
    overspent: bool = False
    """True when the run stopped early because it had already spent more than allowed."""
    excluded: tuple[tuple[int, int], ...] = ()
    """(project, funded project it cannot be carried out with): left out once that was bought."""

    @property
    def selected(self) -> tuple[int, ...]:
        return self.free + tuple(p.project for p in self.purchases)


def _price(
    values: list[int], voters: Iterable[int], everyone: int, cost: int
) -> tuple[int, int] | None:
    """The equal-shares price: (to_pay, payers) such that q = to_pay / payers is the least
    price where every supporter pays min(money, q) and together they pay `cost`; None if all
    their money is not enough. values[i] is the money of each of the voters[i] voters of a
    class; `everyone` is sum(voters).

    Paying at price v_k (the k-th smallest money) collects g(k) = sum of min(v_i, v_k) * n_i,
    which grows with k, so the first level where g reaches the cost is found by bisection
    over prefix sums; the sums and the sort run in C, which matters with hundreds of classes.
    """
    lowest = min(values)
    if lowest * everyone >= cost:
        return cost, everyone  # everyone can pay an equal share: the usual case
    voters = list(voters)
    if lowest == 0:
        # voters with nothing left pay nothing: set them aside, maybe the rest pay equally
        holding = list(compress(range(len(values)), values))
        if not holding:
            return None
        values = list(map(values.__getitem__, holding))
        voters = list(map(voters.__getitem__, holding))
        everyone = sum(voters)
        if min(values) * everyone >= cost:
            return cost, everyone
    order = sorted(range(len(values)), key=values.__getitem__)
    levels = list(map(values.__getitem__, order))
    counts = list(map(voters.__getitem__, order))
    paid_below: list[int] = list(accumulate(map(mul, levels, counts), initial=0))
    counted_below = list(accumulate(counts, initial=0))
    if paid_below[-1] < cost:
        return None

    def collects_enough(k: int) -> bool:
        return paid_below[k] + levels[k] * (everyone - counted_below[k]) >= cost

    k = bisect_left(range(len(levels)), True, key=collects_enough)
    return cost - paid_below[k], everyone - counted_below[k]


@dataclass(frozen=True)
class _CoSupporters:
    ballots: list[int]
    keys: list[int]
    heavy: list[tuple[int, int, list[int]]]
    """(ballot, voters who cast it, keys) for ballots cast by more than _REPEAT_AT_MOST."""


class _Node:
    """The budget-independent state once a given set of winners is bought, in any order.

    Voters are in classes by which of those winners they support (a class is that set of
    winners); within a run, voters of one class always hold the same money. `histograms[p]`
    maps class -> supporters of p in it (None for bought projects and projects not in play);
    `group_class[g]` is the class of ballot g.
    """

    __slots__ = ("histograms", "group_class", "exits")

    def __init__(self, histograms: list[dict[int, int] | None], group_class: list[int]) -> None:
        self.histograms = histograms
        self.group_class = group_class
        self.exits: dict[int, dict[int, int]] = {}
        """winner -> {class of its supporters here: their class once it is bought}"""


class EqualSharesEngine:
    """Runs equal shares on one election, as many times as the add-one search needs."""

    def __init__(
        self,
        election: Election,
        tie_break: TieBreak,
        withdrawn: Collection[int] = (),
        conflicts: Mapping[int, set[int]] | None = None,
    ) -> None:
        self.election = election
        self.conflicts = conflicts or {}
        self.support = count_support(election)
        self.costs = [project.cost for project in election.projects]
        withdrawn_set = set(withdrawn)
        # one "group" per distinct ballot: the projects it supports and how many cast it
        if election.vote_type.has_points or withdrawn_set:
            group_projects = [
                tuple(p for p in supported_projects(election, i) if p not in withdrawn_set)
                for i in range(len(election.ballots))
            ]
        else:
            group_projects = [ballot.projects for ballot in election.ballots]
        group_sizes = [ballot.count for ballot in election.ballots]
        supporter_groups: list[list[int]] = [[] for _ in election.projects]
        for group, projects in enumerate(group_projects):
            for project in projects:
                supporter_groups[project].append(group)
        self.group_projects = group_projects
        self.group_sizes = group_sizes
        self.supporter_groups = supporter_groups
        if withdrawn_set:
            self.supporter_count = [
                0 if p in withdrawn_set else count
                for p, count in enumerate(self.support.supporters)
            ]
        else:
            self.supporter_count = list(self.support.supporters)
        self.candidates = tuple(
            p
            for p, cost in enumerate(self.costs)
            if cost > 0 and self.supporter_count[p] > 0 and p not in withdrawn_set
        )
        self.free = tuple(
            p
            for p, cost in enumerate(self.costs)
            if cost == 0 and self.supporter_count[p] > 0 and p not in withdrawn_set
        )
        self.tie_keys = tie_break.keys(election, self.supporter_count)
        self._initial_bounds = {
            p: (1 << _BOUND_BITS) // self.supporter_count[p] for p in self.candidates
        }
        self._co_supporters: dict[int, _CoSupporters] = {}
        self._light_ballots: list[list[int]] | None = None
        self._light_keys: list[list[int]] | None = None
        self._heavy_ballots: dict[int, tuple[int, int, list[int]]] | None = None
        # classes are numbered; class_winners[c] is the set of winners (a bit mask) of class c
        self._class_winners = [0]
        self._class_of_winners = {0: 0}
        # Only projects that some run could afford are followed: a project whose supporters
        # together start with less than its cost can never be bought in that run.
        self._followed: frozenset[int] = frozenset()
        # states by set of winners (bit mask); only those the latest run went through are kept
        self._nodes: dict[int, _Node] = {}

    def _affordable_at_start(self, voter_budget: int, denominator: int) -> list[int]:
        return [
            p
            for p in self.candidates
            if self.supporter_count[p] * voter_budget >= self.costs[p] * denominator
        ]

    def _follow(self, voter_budget: int, denominator: int) -> list[int]:
        """The projects in play for a run; starts the shared states afresh when the run
        needs a project they do not follow (following twice the money avoids doing it often).
        """
        in_play = self._affordable_at_start(voter_budget, denominator)
        if not self._nodes or not self._followed.issuperset(in_play):
            self._followed = frozenset(self._affordable_at_start(2 * voter_budget, denominator))
            self._co_supporters.clear()
            self._light_ballots = self._light_keys = self._heavy_ballots = None
            histograms: list[dict[int, int] | None] = [None] * len(self.costs)
            for p in self._followed:
                histograms[p] = {0: self.supporter_count[p]}
            self._nodes = {0: _Node(histograms, [0] * len(self.group_projects))}
        return in_play

    # -- budget-independent structure -------------------------------------------------------

    def _co_supporters_of(self, winner: int) -> _CoSupporters:
        """Every followed project p supported on ballots that support `winner`, for counting.

        Counting `p << _CLASS_BITS` + class of the ballot gives, for every project p and
        class, how many of p's supporters move when `winner` is bought (the winner counts
        itself too: cheaper than leaving it out, and its own count is never used). Ballots
        cast by few voters are repeated once per voter so that one Counter call (in C) does
        the counting; ballots cast by many are added with their weight in Python.
        """
        found = self._co_supporters.get(winner)
        if found is None:
            light, light_keys, heavy = self._ballot_keys()
            groups = self.supporter_groups[winner]
            ballots = list(chain.from_iterable(map(light.__getitem__, groups)))
            keys = list(chain.from_iterable(map(light_keys.__getitem__, groups)))
            found = _CoSupporters(ballots, keys, [heavy[g] for g in groups if g in heavy])
            self._co_supporters[winner] = found
        return found

    def _ballot_keys(
        self,
    ) -> tuple[list[list[int]], list[list[int]], dict[int, tuple[int, int, list[int]]]]:
        """Per ballot, its followed projects as counting keys: for ballots cast by few voters
        the ballot and the keys repeated per voter, for the others (ballot, voters, keys)."""
        if self._light_ballots is None:
            followed = self._followed
            light: list[list[int]] = []
            light_keys: list[list[int]] = []
            heavy: dict[int, tuple[int, int, list[int]]] = {}
            for group, (projects, size) in enumerate(
                zip(self.group_projects, self.group_sizes, strict=True)
            ):
                keys = [p << _CLASS_BITS for p in projects if p in followed]
                if size > _REPEAT_AT_MOST:
                    heavy[group] = (group, size, keys)
                    keys = []
                elif size > 1:
                    keys = keys * size
                light.append([group] * len(keys))
                light_keys.append(keys)
            self._light_ballots, self._light_keys, self._heavy_ballots = light, light_keys, heavy
        # the three are built and reset together
        assert self._light_keys is not None and self._heavy_ballots is not None
        return self._light_ballots, self._light_keys, self._heavy_ballots

    def _class_after(self, cls: int, winner: int) -> int:
        """The class of a voter of class `cls` who supports `winner`, once it is bought."""
        winners = self._class_winners[cls] | (1 << winner)
        found = self._class_of_winners.get(winners)
        if found is None:
            found = len(self._class_winners)
            if found > _CLASS_MASK:
                raise TallyError("equal shares ran out of voter classes")  # 2**40: never
            self._class_winners.append(winners)
            self._class_of_winners[winners] = found
        return found

    def _exit(self, node: _Node, winner: int) -> dict[int, int]:
        """How the classes of `winner`'s supporters change when it is bought at `node`."""
        classes = node.exits.get(winner)
        if classes is None:
            histogram = node.histograms[winner]
            assert histogram is not None
            classes = node.exits[winner] = {c: self._class_after(c, winner) for c in histogram}
        return classes

    def _state_after(self, bought: int, node: _Node, winner: int) -> _Node:
        """The state once `winner` is bought too (built once, reused by later runs)."""
        key = bought | (1 << winner)
        child = self._nodes.get(key)
        if child is not None:
            return child
        new_class = self._exit(node, winner)
        old_classes = node.group_class
        co = self._co_supporters_of(winner)
        moves = Counter(map(add, co.keys, map(old_classes.__getitem__, co.ballots)))
        for group, size, keys in co.heavy:
            cls = old_classes[group]
            for key in keys:
                moves[key + cls] += size
        parent = node.histograms
        histograms = list(parent)
        histograms[winner] = None
        for packed, moved in moves.items():
            project = packed >> _CLASS_BITS
            histogram = histograms[project]
            if histogram is None:
                continue  # already bought
            if histogram is parent[project]:  # copy on write: the parent keeps its own
                histogram = histograms[project] = histogram.copy()
            old = packed & _CLASS_MASK
            left = histogram[old] - moved
            if left:
                histogram[old] = left
            else:
                del histogram[old]
            # the new class holds `winner`, which no class here holds yet: a fresh key
            histogram[new_class[old]] = moved
        group_class = list(old_classes)
        winner_groups = self.supporter_groups[winner]
        # group_class[g] = new_class[old_classes[g]] for the winner's ballots, looped in C
        deque(
            map(
                group_class.__setitem__,
                winner_groups,
                map(new_class.__getitem__, map(old_classes.__getitem__, winner_groups)),
            ),
            maxlen=0,
        )
        child = self._nodes[key] = _Node(histograms, group_class)
        return child

    # -- one run ----------------------------------------------------------------------------

    def run(
        self, voter_budget: int, denominator: int = 1, spend_limit: int | None = None
    ) -> EqualSharesOutcome:
        """Equal shares with voter_budget / denominator per voter, sharing the budget-free
        state with the other runs of this engine (what the add-one search needs).

        With `spend_limit`, stops as soon as the bought projects cost more than it (the add-one
        search only needs to know that a step overspends).
        """
        in_play = self._follow(voter_budget, denominator)
        return self._rounds(
            _ClassMoney(self, voter_budget), in_play, voter_budget, denominator, spend_limit
        )

    def run_once(self, voter_budget: int, denominator: int = 1) -> EqualSharesOutcome:
        """The same outcome as `run`, keeping money per ballot: faster when nothing is shared."""
        in_play = self._affordable_at_start(voter_budget, denominator)
        return self._rounds(
            _BallotMoney(self, voter_budget), in_play, voter_budget, denominator, None
        )

    def _rounds(
        self,
        book: _ClassMoney | _BallotMoney,
        in_play_at_start: list[int],
        voter_budget: int,
        denominator: int,
        spend_limit: int | None,
    ) -> EqualSharesOutcome:
        costs = self.costs
        supporter_count = self.supporter_count
        tie_keys = self.tie_keys
        scale = denominator  # money is counted in units of 1/scale
        # The unit only ever gets finer: scales[k] is the scale after k changes, and
        # factor[k] = scale // scales[k] converts money recorded then into today's units.
        scales = [scale]
        factor = [1]
        in_play = set(in_play_at_start)
        bounds = {p: self._initial_bounds[p] for p in in_play}
        purchases: list[Purchase] = []
        excluded: list[tuple[int, int]] = []
        dropouts = [
            Dropout(p, 1, supporter_count[p] * voter_budget, denominator)
            for p in self.candidates
            if p not in in_play
        ]
        spent = sum(costs[p] for p in self.free)
        round_number = 0
        overspent = False
        while in_play:
            round_number += 1
            best = -1
            best_paid = best_payers = best_bound = 0
            for project in sorted(in_play, key=bounds.__getitem__):
                if best >= 0 and bounds[project] > best_bound:
                    break  # its price can only have risen since the bound was taken
                values, voters = book.levels(project, factor)
                cost = costs[project] * scale
                quote = _price(values, voters, supporter_count[project], cost)
                if quote is None:
                    in_play.discard(project)
                    held = sum(map(mul, values, voters))
                    dropouts.append(Dropout(project, round_number, held, scale))
                    continue
                to_pay, payers = quote
                weight = payers * costs[project]  # price per unit of cost = to_pay / weight
                bounds[project] = (to_pay << _BOUND_BITS) // (weight * scale)
                if best < 0:
                    better = True
                else:
                    left = to_pay * best_payers * costs[best]
                    right = best_paid * weight
                    better = left < right or (left == right and tie_keys[project] < tie_keys[best])
                if better:
                    best, best_paid, best_payers = project, to_pay, payers
                    best_bound = bounds[project]
            if best < 0:
                break
            in_play.discard(best)
            for other in self.conflicts.get(best, ()):
                if other in in_play:
                    in_play.discard(other)
                    excluded.append((other, best))
            purchases.append(Purchase(best, round_number, best_payers, best_paid, scale))
            spent += costs[best]
            if spend_limit is not None and spent > spend_limit:
                overspent = True
                break
            # make the price a whole number of (possibly smaller) units, then charge it
            common = gcd(best_paid, best_payers)
            price, finer = best_paid // common, best_payers // common
            if finer != 1:
                scale *= finer
                scales.append(scale)
                factor = [scale // earlier for earlier in scales]
            book.charge(best, price, factor, len(scales) - 1)
        book.finish()
        return EqualSharesOutcome(
            tuple(purchases),
            tuple(dropouts),
            self.free,
            spent,
            overspent=overspent,
            excluded=tuple(excluded),
        )

    # -- the variants -------------------------------------------------------------------------

    def plain(self) -> EqualSharesOutcome:
        voters = self.election.voter_count
        if voters == 0:
            return EqualSharesOutcome((), (), (), 0)
        return self.run_once(self.election.budget, voters)

    def add_one(self) -> tuple[EqualSharesOutcome, int, int]:
        """Pabulib's add-one completion: (outcome, money per voter, units added per voter).

        The definition raises every voter's money by one unit at a time until the next step
        would overspend. Taken literally that never ends in practice when a lone expensive
        project needs millions of units before anything changes (two voters, budget
        3 000 000: 1 500 000 steps). So after a run of steps that changed nothing, the search
        asks `next_change` how far the money can rise before any comparison of the run can
        turn out otherwise, and jumps there: every unit skipped gives the same outcome, so the
        result is exactly the one the unit steps would reach, in a bounded number of runs.
        """
        voters = self.election.voter_count
        budget = self.election.budget
        if voters == 0:
            return EqualSharesOutcome((), (), (), 0), 0, 0
        start = voter_budget = budget // voters
        everything = len(self.candidates)
        if sum(self.costs[p] for p in self.candidates) <= budget:
            # every outcome fits, so the search would go on until all candidates are bought;
            # with that much money each supporter alone can pay for everything
            voter_budget = max(voter_budget, sum(self.costs))
            return self.run(voter_budget), voter_budget, 0
        clock = time.perf_counter()
        outcome = self.run(voter_budget)
        # a look-ahead costs a few dozen runs: take one only once the unit steps since the
        # last change have cost several times what the previous one did (the outcome is the
        # same whenever it is taken; only the time differs)
        look_ahead_cost = 25 * _LOOK_AHEAD_COST * (time.perf_counter() - clock)
        runs = unchanged = 0
        idle = 0.0  # seconds of unit steps that changed nothing since the last look-ahead
        while len(outcome.purchases) + len(outcome.excluded) < everything:
            runs += 1
            if runs > MAX_ADD_ONE_STEPS:
                raise TallyError(
                    f"the add-one search took more than {MAX_ADD_ONE_STEPS} runs; "
                    "please report this election"
                )
            if unchanged >= _LOOK_AHEAD_AFTER and idle >= look_ahead_cost:
                clock = time.perf_counter()
                ahead = next_change(self, voter_budget)
                look_ahead_cost = _LOOK_AHEAD_COST * (time.perf_counter() - clock)
                unchanged, idle = 0, 0.0
                if ahead.horizon is None or ahead.horizon > 1:
                    # voter_budget + 1 ... voter_budget + skip all give `ahead`'s outcome
                    if ahead.spent > budget:
                        break
                    if ahead.horizon is None:
                        # nothing can change any more: the unit steps would never end
                        voter_budget += 1
                        outcome = self.run(voter_budget)
                        break
                    voter_budget += math.ceil(ahead.horizon) - 1
                    outcome = self.run(voter_budget)
                    continue
            clock = time.perf_counter()
            following = self.run(voter_budget + 1, spend_limit=budget)
            if following.overspent:
                break
            voter_budget += 1
            if set(following.selected) == set(outcome.selected):
                unchanged += 1
                idle += time.perf_counter() - clock
            else:
                unchanged, idle = 0, 0.0
            outcome = following
        return outcome, voter_budget, voter_budget - start


_LOOK_AHEAD_AFTER = 16
"""Unit steps without a change before the add-one search may look ahead."""

_LOOK_AHEAD_COST = 4
"""Look ahead once the idle unit steps cost this many times the previous look-ahead (the
first is taken to cost as much as 25 runs): look-aheads then take at most about a fifth of
the time, and real files, whose outcome changes every few units, hardly ever need one."""


@dataclass(frozen=True)
class LookAhead:
    """Equal shares run with `voter_budget + t` per voter for a small t > 0 (the outcome of
    every budget in the open interval up to `horizon`)."""

    selected: tuple[int, ...]
    spent: int
    horizon: Fraction | None
    """The least t > 0 at which some comparison of the run could go the other way (None:
    never); every t strictly between 0 and `horizon` gives the same run."""


class _Horizon:
    def __init__(self) -> None:
        self.least: Fraction | None = None

    def watch(self, value: Fraction, slope: Fraction) -> None:
        """A comparison value + slope * t against 0: note where it reaches 0 for t > 0."""
        if value and slope and (value > 0) != (slope > 0):
            t = -value / slope
            if self.least is None or t < self.least:
                self.least = t


def _sign(value: Fraction, slope: Fraction) -> int:
    """Sign of value + slope * t for a small t > 0."""
    if value:
        return 1 if value > 0 else -1
    return (slope > 0) - (slope < 0)


def next_change(engine: EqualSharesEngine, voter_budget: int) -> LookAhead:
    """Run equal shares symbolically with voter_budget + t per voter, t > 0 small.

    Each voter's money is a line a + b*t (exact Fractions, one per distinct ballot). Every
    comparison the rule makes (can the supporters afford the project, which supporters pay
    all they have, which project is cheapest per unit of cost) is between such lines, so it
    keeps its answer until the first t where two of them cross; the least such t over the
    whole run is the horizon. Same rule as `EqualSharesEngine._rounds`: projects leave for
    good once their supporters cannot afford them, ties go to the engine's tie keys.
    """
    costs = engine.costs
    sizes = engine.group_sizes
    supporters = engine.supporter_groups
    tie_keys = engine.tie_keys
    groups = len(engine.group_projects)
    money = [Fraction(voter_budget)] * groups
    slope = [Fraction(1)] * groups
    horizon = _Horizon()
    in_play = sorted(engine.candidates)
    selected = list(engine.free)
    spent = sum(costs[p] for p in engine.free)
    while in_play:
        prices: dict[int, tuple[Fraction, Fraction, list[int]]] = {}
        for project in list(in_play):
            cost = costs[project]
            paying = supporters[project]
            total = sum((money[g] * sizes[g] for g in paying), Fraction(0))
            total_slope = sum((slope[g] * sizes[g] for g in paying), Fraction(0))
            horizon.watch(total - cost, total_slope)
            if _sign(total - cost, total_slope) < 0:
                in_play.remove(project)
                continue
            prices[project] = _symbolic_price(paying, money, slope, sizes, cost, horizon)
        if not prices:
            break
        best = -1
        for project, (price, price_slope, _) in prices.items():
            if best < 0:
                best = project
                continue
            best_price, best_slope, _ = prices[best]
            difference = price * costs[best] - best_price * costs[project]
            difference_slope = price_slope * costs[best] - best_slope * costs[project]
            order = _sign(difference, difference_slope)
            if order < 0 or (order == 0 and tie_keys[project] < tie_keys[best]):
                best = project
        best_price, best_slope, rich = prices[best]
        for project, (price, price_slope, _) in prices.items():
            if project != best:
                horizon.watch(
                    price * costs[best] - best_price * costs[project],
                    price_slope * costs[best] - best_slope * costs[project],
                )
        in_play.remove(best)
        for other in engine.conflicts.get(best, ()):
            if other in in_play:
                in_play.remove(other)
        selected.append(best)
        spent += costs[best]
        rich_set = set(rich)
        for group in supporters[best]:
            if group in rich_set:
                money[group] -= best_price
                slope[group] -= best_slope
            else:
                money[group] = slope[group] = Fraction(0)
    return LookAhead(tuple(selected), spent, horizon.least)


def _symbolic_price(
    paying: list[int],
    money: list[Fraction],
    slope: list[Fraction],
    sizes: list[int],
    cost: int,
    horizon: _Horizon,
) -> tuple[Fraction, Fraction, list[int]]:
    """The price q = a + b*t every rich supporter pays (the poor pay all they have) and the
    rich supporters; watches each supporter's money against q."""
    order = sorted(paying, key=lambda g: (money[g], slope[g]))
    everyone = sum(sizes[g] for g in order)
    poor_money = poor_slope = Fraction(0)
    poor_voters = 0
    for k, group in enumerate(order):
        rich_voters = everyone - poor_voters
        price = (cost - poor_money) / rich_voters
        price_slope = -poor_slope / rich_voters
        if _sign(money[group] - price, slope[group] - price_slope) >= 0:
            for other in order:
                horizon.watch(money[other] - price, slope[other] - price_slope)
            return price, price_slope, order[k:]
        poor_money += money[group] * sizes[group]
        poor_slope += slope[group] * sizes[group]
        poor_voters += sizes[group]
    raise AssertionError("an affordable project always has a price")  # pragma: no cover


class _ClassMoney:
    """Money by voter class, on the states the engine shares between runs."""

    def __init__(self, engine: EqualSharesEngine, voter_budget: int) -> None:
        self.engine = engine
        # by class number: money of each voter, in units 1/scales[scale_index[class]]
        # (lists indexed by class number: cheaper than dicts in the inner loop)
        self.money = [0] * len(engine._class_winners)
        self.scale_index = [0] * len(engine._class_winners)
        self.money[0] = voter_budget
        self.bought = 0
        self.node = engine._nodes[0]
        self.visited = {0: self.node}

    def levels(self, project: int, factor: list[int]) -> tuple[list[int], Iterable[int]]:
        """The money (in today's units) and size of each class of the project's supporters."""
        histogram = self.node.histograms[project]
        assert histogram is not None
        classes = histogram.keys()
        # map chains run in C: a project can have hundreds of classes
        values = list(
            map(
                mul,
                map(self.money.__getitem__, classes),
                map(factor.__getitem__, map(self.scale_index.__getitem__, classes)),
            )
        )
        return values, histogram.values()

    def charge(self, project: int, price: int, factor: list[int], now: int) -> None:
        engine, money, scale_index = self.engine, self.money, self.scale_index
        exits = engine._exit(self.node, project)
        missing = len(engine._class_winners) - len(money)
        if missing > 0:
            money.extend([0] * missing)
            scale_index.extend([0] * missing)
        for old, new in exits.items():
            value = money[old] * factor[scale_index[old]]
            money[new] = value - price if value > price else 0
            scale_index[new] = now
        self.node = engine._state_after(self.bought, self.node, project)
        self.bought |= 1 << project
        self.visited[self.bought] = self.node

    def finish(self) -> None:
        self.engine._nodes = self.visited  # the next add-one step mostly goes the same way


class _BallotMoney:
    """Money by distinct ballot, for a single run: no state to build, nothing shared."""

    def __init__(self, engine: EqualSharesEngine, voter_budget: int) -> None:
        self.engine = engine
        groups = len(engine.group_projects)
        self.money = [voter_budget] * groups
        self.scale_index = [0] * groups
        self.sizes: dict[int, list[int]] = {}

    def levels(self, project: int, factor: list[int]) -> tuple[list[int], Iterable[int]]:
        groups = self.engine.supporter_groups[project]
        values = list(
            map(
                mul,
                map(self.money.__getitem__, groups),
                map(factor.__getitem__, map(self.scale_index.__getitem__, groups)),
            )
        )
        sizes = self.sizes.get(project)
        if sizes is None:
            sizes = self.sizes[project] = list(map(self.engine.group_sizes.__getitem__, groups))
        return values, sizes

    def charge(self, project: int, price: int, factor: list[int], now: int) -> None:
        money, scale_index = self.money, self.scale_index
        for group in self.engine.supporter_groups[project]:
            value = money[group] * factor[scale_index[group]]
            money[group] = value - price if value > price else 0
            scale_index[group] = now

    def finish(self) -> None:
        pass


def voters_preferring(
    election: Election, first: Collection[int], second: Collection[int]
) -> tuple[int, int]:
    """Voters with more supported winners in `first`, and in `second` (Wieliczka's test)."""
    first_set, second_set = set(first), set(second)
    prefer_first = prefer_second = 0
    for ballot_index, ballot in enumerate(election.ballots):
        supported = supported_projects(election, ballot_index)
        in_first = sum(1 for p in supported if p in first_set)
        in_second = sum(1 for p in supported if p in second_set)
        if in_first > in_second:
            prefer_first += ballot.count
        elif in_second > in_first:
            prefer_second += ballot.count
    return prefer_first, prefer_second


def equal_shares(
    election: Election,
    *,
    add_one: bool = False,
    compare_with_greedy: bool = False,
    greedy_fill_after: bool = False,
    tie_break: TieBreak = EQUAL_SHARES_TIE_BREAK,
    greedy_tie_break: TieBreak = GREEDY_TIE_BREAK,
    withdrawn: Collection[str] = (),
    rule: str = "equalshares",
    exclusive: Iterable[tuple[str, str]] = (),
) -> TallyResult:
    """Equal shares and its Pabulib variants, with an explanation of every project.

    `exclusive` pairs: once one of a pair is bought the other leaves the count (also in the
    greedy fill and in the greedy outcome of the comparison).
    """
    withdrawn_indices = set()
    for project_id in withdrawn:
        if project_id not in election.index_of:
            raise TallyError(f"cannot withdraw unknown project {project_id!r}")
        withdrawn_indices.add(election.index_of[project_id])
    conflicts = conflict_map(election, exclusive)
    engine = EqualSharesEngine(election, tie_break, withdrawn_indices, conflicts)
    notes: list[Reason] = []
    if add_one:
        outcome, voter_budget, steps = engine.add_one()
        notes.append(
            Reason.of(
                ReasonCode.ADD1_VOTER_BUDGET,
                voter_budget=voter_budget,
                virtual_budget=voter_budget * election.voter_count,
                steps=steps,
                budget=election.budget,
            )
        )
    else:
        outcome = engine.plain()
    if compare_with_greedy:
        greedy_result = greedy(
            election, tie_break=greedy_tie_break, withdrawn=withdrawn, exclusive=exclusive
        )
        greedy_indices = [election.index_of[p] for p in greedy_result.selected]
        prefer_mes, prefer_greedy = voters_preferring(election, outcome.selected, greedy_indices)
        if prefer_greedy > prefer_mes:
            note = Reason.of(
                ReasonCode.COMPARISON_CHOSE_GREEDY,
                prefer_equal_shares=prefer_mes,
                prefer_greedy=prefer_greedy,
            )
            return TallyResult(
                rule=rule,
                budget=greedy_result.budget,
                selected=greedy_result.selected,
                spent=greedy_result.spent,
                projects=greedy_result.projects,
                notes=(*notes, note),
                tie_break=greedy_result.tie_break,
            )
        notes.append(
            Reason.of(
                ReasonCode.COMPARISON_KEPT_EQUAL_SHARES,
                prefer_equal_shares=prefer_mes,
                prefer_greedy=prefer_greedy,
            )
        )
    return _explain(
        election,
        engine.support,
        engine,
        outcome,
        withdrawn_indices,
        greedy_fill_after,
        rule,
        tie_break,
        notes,
    )


def _explain(
    election: Election,
    support: Support,
    engine: EqualSharesEngine,
    outcome: EqualSharesOutcome,
    withdrawn: Collection[int],
    fill: bool,
    rule: str,
    tie_break: TieBreak,
    notes: list[Reason],
) -> TallyResult:
    reasons: dict[int, Reason] = {}
    for project in outcome.free:
        reasons[project] = Reason.of(
            ReasonCode.SELECTED_FREE, supporters=engine.supporter_count[project]
        )
    for purchase in outcome.purchases:
        reasons[purchase.project] = Reason.of(
            ReasonCode.EQUAL_SHARES_BOUGHT,
            round=purchase.round,
            price_per_supporter=purchase.price_per_supporter,
            supporters=engine.supporter_count[purchase.project],
            paying_full_price=purchase.paying_full_price,
        )
    selected = list(outcome.selected)
    spent = outcome.spent
    by_score = ranking(support.scores, engine.tie_keys)
    if fill:
        eligible = [p for p in by_score if p not in withdrawn]
        chosen, fill_reasons = greedy_fill(
            election,
            support,
            eligible,
            set(selected),
            election.budget - spent,
            engine.conflicts,
        )
        selected.extend(chosen)
        spent += sum(election.projects[p].cost for p in chosen)
        reasons.update(fill_reasons)
    for project, funded in outcome.excluded:
        reasons.setdefault(
            project,
            Reason.of(ReasonCode.EXCLUSIVE_WITH_FUNDED, funded=election.projects[funded].id),
        )
    for dropout in outcome.dropouts:
        reasons.setdefault(
            dropout.project,
            Reason.of(
                ReasonCode.SUPPORTERS_CANNOT_AFFORD,
                round=dropout.round,
                supporters=engine.supporter_count[dropout.project],
                supporters_money=dropout.supporters_money,
                cost=election.projects[dropout.project].cost,
            ),
        )
    for project in withdrawn:
        reasons.setdefault(project, Reason.of(ReasonCode.WITHDRAWN))
    for project in range(len(election.projects)):
        reasons.setdefault(project, Reason.of(ReasonCode.NO_SUPPORTERS))
    selected_set = set(selected)
    order = selected + [p for p in by_score if p not in selected_set]
    outcomes = tuple(
        ProjectOutcome(
            project_id=election.projects[p].id,
            cost=election.projects[p].cost,
            score=support.scores[p],
            supporters=support.supporters[p],
            selected=p in selected_set,
            reason=reasons[p],
        )
        for p in order
    )
    return TallyResult(
        rule=rule,
        budget=election.budget,
        selected=tuple(election.projects[p].id for p in selected),
        spent=spent,
        projects=outcomes,
        notes=tuple(notes),
        tie_break=tie_break.describe(),
    )
