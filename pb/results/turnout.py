"""Turnout statistics for published results: how many people voted, by channel, district and age.

Only participations are counted here (the fact that someone voted), never ballots. Every published
cell holds at least `SMALL_CELL` people: a smaller cell is merged with its neighbours (age bands)
or folded into "other" (districts, channels), so that no published figure narrows down to a handful
of identifiable residents. The registry, when the city imported one, gives each cell its
denominator; it is merged the same way as the cell it belongs to.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from pb.core.extensions import db
from pb.editions.districts import District
from pb.editions.models import Edition
from pb.voting.models import Channel, Participation, VoterRegistryEntry

SMALL_CELL = 10
"""No published cell describes fewer people than this."""

AGE_BAND_STARTS = (18, 25, 35, 45, 55, 65, 75)
"""Band edges after the youngest band (which starts at the edition's minimum age, or 0)."""


@dataclass(frozen=True)
class Cell:
    """One published figure: `keys` are what was merged into it (one key unless merged)."""

    keys: tuple[str, ...]
    voters: int
    registry: int | None

    @property
    def merged(self) -> bool:
        return len(self.keys) > 1


def _band_starts(min_age: int) -> list[int]:
    return [min_age] + [s for s in AGE_BAND_STARTS if s > min_age]


def band_key(age: int, min_age: int) -> str:
    """'15-17', '18-24', ..., '75-' for an age; ages under `min_age` share the first band."""
    starts = _band_starts(min_age)
    for low, high in zip(starts, starts[1:] + [None], strict=True):
        if high is None or age < high:
            return f"{low}-{high - 1}" if high is not None else f"{low}-"
    raise AssertionError("unreachable")  # pragma: no cover


def all_band_keys(min_age: int) -> list[str]:
    return [band_key(start, min_age) for start in _band_starts(min_age)]


@dataclass(frozen=True)
class AgeBands:
    """An edition's age bands: the youngest starts at its minimum voting age (or 0). A person's
    age is the one reached in the year voting ends: the registry keeps birth years, not dates."""

    voting_year: int
    min_age: int

    @classmethod
    def of(cls, edition: Edition) -> AgeBands:
        return cls(edition.voting_year, edition.min_voter_age or 0)

    def age(self, birth_year: int) -> int:
        return self.voting_year - birth_year

    def key(self, birth_year: int) -> str:
        return band_key(self.age(birth_year), self.min_age)

    def all_keys(self) -> list[str]:
        return all_band_keys(self.min_age)


def merge_ordered(cells: Sequence[Cell], threshold: int = SMALL_CELL) -> list[Cell]:
    """Merge each cell under `threshold` voters with a neighbour until none is left.

    For ordered cells (age bands): the smallest cell under the threshold joins whichever
    neighbour has fewer voters, so merged bands stay as narrow as they can. A lone cell stays.
    Empty cells are merged too: "0 voters aged 15-17" would still say something about nobody,
    but it would let a reader subtract.
    """
    merged = list(cells)
    while len(merged) > 1:
        small = [i for i, c in enumerate(merged) if c.voters < threshold]
        if not small:
            break
        at = min(small, key=lambda i: (merged[i].voters, i))
        if at == 0:
            other = 1
        elif at == len(merged) - 1:
            other = at - 1
        else:
            other = at - 1 if merged[at - 1].voters <= merged[at + 1].voters else at + 1
        low, high = sorted((at, other))
        merged[low : high + 1] = [_join(merged[low], merged[high])]
    return merged


def merge_unordered(
    cells: Sequence[Cell], other_key: str = "other", threshold: int = SMALL_CELL
) -> list[Cell]:
    """Fold every cell under `threshold` voters into one "other" cell, kept last.

    If "other" is still too small, the smallest remaining cell joins it, until it is large
    enough or it is the only cell left. Cells with no voters and no registry are left out.
    """
    cells = [c for c in cells if c.voters or c.registry]  # nobody, of nobody: nothing to say
    big = [c for c in cells if c.voters >= threshold]
    small = [c for c in cells if c.voters < threshold]
    if not small:
        return list(cells)
    other = Cell((), 0, 0 if any(c.registry is not None for c in cells) else None)
    for cell in small:
        other = _join(other, cell)
    big.sort(key=lambda c: c.voters)
    while other.voters < threshold and big:
        other = _join(other, big.pop(0))
    if not big:
        return [Cell((*other.keys,), other.voters, other.registry)]
    ordered = [c for c in cells if c in big]
    return ordered + [Cell((other_key, *other.keys), other.voters, other.registry)]


def _join(a: Cell, b: Cell) -> Cell:
    registry = (
        None if a.registry is None and b.registry is None else (a.registry or 0) + (b.registry or 0)
    )
    return Cell(a.keys + b.keys, a.voters + b.voters, registry)


def registry_by_band(edition: Edition) -> Counter[str]:
    """The people of the edition's registry by age band, grouped in the database; empty when the
    city imported no registry."""
    ages = AgeBands.of(edition)
    bands: Counter[str] = Counter()
    for birth_year, count in db.session.execute(
        select(VoterRegistryEntry.birth_year, func.count())
        .where(VoterRegistryEntry.edition_id == edition.id)
        .group_by(VoterRegistryEntry.birth_year)
    ):
        bands[ages.key(birth_year)] += count
    return bands


def turnout_statistics(edition: Edition) -> dict:
    """The turnout of an edition as plain data (it goes into the frozen result snapshot)."""
    ages = AgeBands.of(edition)
    # Grouped in the database: a few hundred (channel, district, birth year) cells, however many
    # people voted.
    participations = db.session.execute(
        select(
            Participation.channel,
            Participation.district_id,
            Participation.birth_year,
            func.count().label("voters"),
        )
        .where(Participation.edition_id == edition.id)
        .group_by(Participation.channel, Participation.district_id, Participation.birth_year)
    ).all()
    registry_bands = registry_by_band(edition)
    registry_total = sum(registry_bands.values())
    has_registry = bool(registry_total)
    districts = {d.id: d for d in db.session.scalars(select(District))}

    by_channel: Counter[str] = Counter()
    voters_by_district: Counter[str] = Counter()
    voters_by_band: Counter[str] = Counter()
    for p in participations:
        by_channel[str(p.channel.value)] += p.voters
        voters_by_district[_district_key(districts, p.district_id)] += p.voters
        voters_by_band[ages.key(p.birth_year) if p.birth_year else "unknown"] += p.voters
    channel_cells = [Cell((c.value,), by_channel.get(c.value, 0), None) for c in Channel]

    registry_by_district: Counter[str] = Counter()
    if has_registry:
        for district_id, count in db.session.execute(
            select(VoterRegistryEntry.district_id, func.count())
            .where(VoterRegistryEntry.edition_id == edition.id)
            .group_by(VoterRegistryEntry.district_id)
        ):
            registry_by_district[_district_key(districts, district_id)] += count

    district_keys = sorted(
        set(voters_by_district) | set(registry_by_district),
        key=lambda k: (k == "unknown", _district_name(districts, k)),
    )
    district_cells = [
        Cell(
            (k,),
            voters_by_district.get(k, 0),
            registry_by_district.get(k, 0) if has_registry else None,
        )
        for k in district_keys
    ]
    band_cells = [
        Cell((k,), voters_by_band.get(k, 0), registry_bands.get(k, 0) if has_registry else None)
        for k in ages.all_keys()
    ]
    if voters_by_band.get("unknown"):
        # People whose age is not known sit after the oldest band and merge with it if few.
        band_cells.append(
            Cell(("unknown",), voters_by_band["unknown"], 0 if has_registry else None)
        )

    return {
        "voters": sum(p.voters for p in participations),
        "registry": registry_total if has_registry else None,
        "small_cell": SMALL_CELL,
        "min_age": ages.min_age,
        "by_channel": [_cell_json(c) for c in merge_unordered(channel_cells, "other")],
        "by_district": [
            {
                **_cell_json(c),
                "names": [_district_name(districts, k) for k in c.keys if k != "other"],
            }
            for c in merge_unordered(district_cells, "other")
        ],
        "by_age": [_cell_json(c) for c in merge_ordered(band_cells)],
    }


def _district_key(districts: dict[int, District], district_id: int | None) -> str:
    district = districts.get(district_id) if district_id is not None else None
    return district.code if district is not None else "unknown"


def _district_name(districts: dict[int, District], key: str) -> str:
    for district in districts.values():
        if district.code == key:
            return district.name
    return ""


def _cell_json(cell: Cell) -> dict:
    return {"keys": list(cell.keys), "voters": cell.voters, "registry": cell.registry}
