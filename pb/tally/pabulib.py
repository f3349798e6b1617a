"""Pabulib (.pb) files in and out: the common format of real participatory budgeting elections.

A file has three `;`-separated sections, each with a header line: META (key;value), PROJECTS
(project_id;cost;...) and VOTES (voter_id;vote;...). See pabulib.org/format.

Reading streams the file line by line and tolerates what real files contain: a byte order mark,
Windows line ends, quoted fields with `;` inside, costs written as "400000.0", empty votes.
A malformed file is refused with a PabulibFormatError that names the section, the line and the
problem. `PabulibFile` keeps every cell as written, so writing it back and reading it again gives
the same file; `load_election` skips keeping the voter rows and aggregates identical ballots as
it reads, which is what counting needs.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TextIO

from pb.tally.errors import PabulibFormatError, TallyError
from pb.tally.explain import TallyResult
from pb.tally.model import Ballot, Election, Number, Project, VoteType, check_ballot_shape
from pb.tally.scoring import count_support

SECTIONS = ("meta", "projects", "votes")

META_ORDER = (
    "description",
    "country",
    "unit",
    "district",
    "subunit",
    "instance",
    "num_projects",
    "num_votes",
    "budget",
    "vote_type",
    "rule",
    "date_begin",
    "date_end",
    "min_length",
    "max_length",
    "min_sum_cost",
    "max_sum_cost",
    "min_points",
    "max_points",
    "min_sum_points",
    "max_sum_points",
    "default_score",
    "min_project_cost",
    "max_project_cost",
    "min_project_score_threshold",
    "neighborhoods",
    "subdistricts",
    "categories",
    "edition",
    "language",
    "currency",
    "fully_funded",
    "experimental",
    "comment",
    "acknowledgments",
)
"""The order the format's checker expects META keys in; other keys follow in their own order."""

Source = str | Path | TextIO


@dataclass(frozen=True)
class PabulibFile:
    """A whole Pabulib file, every cell as written (rows are tuples of cells)."""

    meta: tuple[tuple[str, ...], ...]
    project_columns: tuple[str, ...]
    projects: tuple[tuple[str, ...], ...]
    vote_columns: tuple[str, ...]
    votes: tuple[tuple[str, ...], ...]

    @property
    def meta_map(self) -> dict[str, str]:
        """META key -> value (a value cut by an unquoted `;` is joined back)."""
        return {row[0].strip(): ";".join(row[1:]).strip() for row in self.meta}

    def project_column(self, name: str) -> dict[str, str] | None:
        """project id -> the cell of column `name`, or None if the column is absent."""
        columns = [c.strip().lower() for c in self.project_columns]
        if name not in columns:
            return None
        at = columns.index(name)
        return {row[0].strip(): row[at].strip() for row in self.projects}

    def official_selection(self) -> tuple[str, ...] | None:
        """Ids of the projects the city funded by the rule (`selected` = 1), in file order."""
        selected = self.project_column("selected")
        if selected is None:
            return None
        return tuple(pid for pid, value in selected.items() if _is_one(value))


@dataclass(frozen=True)
class PabulibElection:
    """A Pabulib file read for counting: the election plus the file's META and PROJECTS."""

    file: PabulibFile
    """The file without its voter rows (votes is empty)."""
    election: Election

    @property
    def rule(self) -> str | None:
        return self.file.meta_map.get("rule") or None

    @property
    def threshold(self) -> Number | None:
        text = self.file.meta_map.get("min_project_score_threshold", "")
        return _number(text, "META", 0, "min_project_score_threshold") if text else None


# -- reading --------------------------------------------------------------------------------


def read_pabulib(source: Source) -> PabulibFile:
    """Read a whole file, keeping every voter row (for round trips and exports)."""
    with _open(source) as stream:
        parsed = _Parser(stream, keep_votes=True).parse()
    return parsed.file


def load_election(source: Source) -> PabulibElection:
    """Read a file for counting: checks every vote, aggregates identical ballots."""
    with _open(source) as stream:
        parsed = _Parser(stream, keep_votes=False).parse()
    return PabulibElection(parsed.file, parsed.election())


def election_from_file(file: PabulibFile) -> Election:
    """The election a whole file describes (same result as `load_election`)."""
    lines = io.StringIO(format_pabulib(file))
    return _Parser(lines, keep_votes=False).parse().election()


class _Open:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.stream: TextIO | None = None

    def __enter__(self) -> TextIO:
        if isinstance(self.source, str | Path):
            # utf-8-sig drops a byte order mark; newline="" lets csv see quoted line breaks
            self.stream = open(self.source, encoding="utf-8-sig", newline="")  # noqa: SIM115
            return self.stream
        return self.source

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()


def _open(source: Source) -> _Open:
    return _Open(source)


@dataclass
class _Parsed:
    file: PabulibFile
    meta: dict[str, str]
    meta_lines: dict[str, int]
    projects: list[Project]
    ballot_counts: dict[tuple[str, str | None], int]
    ballot_lines: dict[tuple[str, str | None], int]

    def election(self) -> Election:
        vote_type = self._vote_type()
        budget = self._budget()
        max_length = self._optional_int("max_length")
        if vote_type is VoteType.ORDINAL:
            scoring_fn = self.meta.get("scoring_fn", "")
            if scoring_fn and scoring_fn.strip().lower() != "borda":
                raise PabulibFormatError(
                    "META",
                    self.meta_lines["scoring_fn"],
                    f"scoring_fn {scoring_fn!r} is not supported (only Borda)",
                )
        index_of = {p.id: i for i, p in enumerate(self.projects)}
        ballots = []
        for key, count in self.ballot_counts.items():
            line = self.ballot_lines[key]
            ballots.append(_ballot(key, count, line, vote_type, index_of, max_length))
        try:
            return Election(
                budget=budget,
                projects=tuple(self.projects),
                vote_type=vote_type,
                ballots=tuple(ballots),
                ordinal_max_length=max_length if vote_type is VoteType.ORDINAL else None,
            )
        except TallyError as error:
            raise PabulibFormatError("PROJECTS", 0, str(error)) from None

    def _vote_type(self) -> VoteType:
        text = self.meta.get("vote_type")
        if not text:
            raise PabulibFormatError("META", 0, "vote_type is missing")
        try:
            return VoteType(text)
        except ValueError:
            known = ", ".join(v.value for v in VoteType)
            raise PabulibFormatError(
                "META", self.meta_lines["vote_type"], f"unknown vote_type {text!r} ({known})"
            ) from None

    def _budget(self) -> int:
        text = self.meta.get("budget")
        if not text:
            raise PabulibFormatError("META", 0, "budget is missing")
        value = _number(text, "META", self.meta_lines["budget"], "budget")
        if value < 0:
            raise PabulibFormatError("META", self.meta_lines["budget"], "budget is negative")
        # costs are whole numbers, so no selection can use a fraction of a unit of the budget
        return math.floor(value)

    def _optional_int(self, key: str) -> int | None:
        text = self.meta.get(key, "")
        if not text:
            return None
        value = _number(text, "META", self.meta_lines[key], key)
        if not isinstance(value, int):
            raise PabulibFormatError("META", self.meta_lines[key], f"{key} must be whole")
        return value


def _ballot(
    key: tuple[str, str | None],
    count: int,
    line: int,
    vote_type: VoteType,
    index_of: Mapping[str, int],
    max_length: int | None,
) -> Ballot:
    vote_text, points_text = key
    ids = [part.strip() for part in vote_text.split(",")] if vote_text.strip() else []
    if any(not i for i in ids):
        raise PabulibFormatError("VOTES", line, f"vote {vote_text!r} has an empty project id")
    indices = []
    for project_id in ids:
        index = index_of.get(project_id)
        if index is None:
            raise PabulibFormatError(
                "VOTES", line, f"vote names project {project_id!r}, which is not in PROJECTS"
            )
        indices.append(index)
    points: tuple[Number, ...] | None = None
    if vote_type.has_points:
        if points_text is None:
            raise PabulibFormatError("VOTES", line, f"a {vote_type} file needs a points column")
        parts = [p.strip() for p in points_text.split(",")] if points_text.strip() else []
        points = tuple(_number(p, "VOTES", line, "points") for p in parts)
        if len(points) == len(indices) and len(set(indices)) != len(indices):
            # Real files write 4 points as "579,579,579,579" with points "1,1,1,1"
            # (Czestochowa 2020): a project listed again gets the points added up.
            merged: dict[int, Number] = {}
            for index, value in zip(indices, points, strict=True):
                merged[index] = merged.get(index, 0) + value
            indices, points = list(merged), tuple(merged.values())
    elif points_text is not None and points_text.strip():
        raise PabulibFormatError("VOTES", line, f"a {vote_type} vote carries no points")
    try:
        check_ballot_shape(vote_type, indices, points, max_length, "the vote")
    except TallyError as error:
        raise PabulibFormatError("VOTES", line, str(error)) from None
    return Ballot(tuple(indices), points, count)


class _Parser:
    """One pass over the lines; keeps voter rows only when asked to."""

    def __init__(self, stream: Iterable[str], *, keep_votes: bool) -> None:
        self.reader = csv.reader(stream, delimiter=";")
        self.keep_votes = keep_votes

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = self.reader
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:
            raise PabulibFormatError("file", reader.line_num, str(error)) from None

    def parse(self) -> _Parsed:
        meta_rows: list[tuple[str, ...]] = []
        meta: dict[str, str] = {}
        meta_lines: dict[str, int] = {}
        project_columns: list[str] = []
        project_rows: list[tuple[str, ...]] = []
        projects: list[Project] = []
        project_ids: set[str] = set()
        vote_columns: list[str] = []
        vote_rows: list[tuple[str, ...]] = []
        ballot_counts: dict[tuple[str, str | None], int] = {}
        ballot_lines: dict[tuple[str, str | None], int] = {}
        voter_ids: set[str] = set()
        section = ""
        header: list[str] | None = None
        seen: list[str] = []
        vote_at = points_at = -1
        cost_at = -1
        last_line = 0
        for line, row in self._rows():
            last_line = line
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # empty lines are harmless
            first = row[0].strip().lower()
            if first in SECTIONS and not any(cell.strip() for cell in row[1:]):
                if first in seen:
                    raise PabulibFormatError(first.upper(), line, "section appears twice")
                expected = SECTIONS[len(seen)]
                if first != expected:
                    raise PabulibFormatError(
                        first.upper(),
                        line,
                        f"sections must come in the order META, PROJECTS, "
                        f"VOTES; expected {expected.upper()} here",
                    )
                seen.append(first)
                section, header = first, None
                continue
            if not section:
                raise PabulibFormatError("file", line, "the file must start with META")
            name = section.upper()
            if header is None:
                header = [cell.strip() for cell in row]
                lowered = [cell.lower() for cell in header]
                if len(set(lowered)) != len(lowered):
                    raise PabulibFormatError(name, line, f"duplicated column names: {header}")
                if section == "meta":
                    if lowered[:2] != ["key", "value"]:
                        raise PabulibFormatError(name, line, "the header must be key;value")
                elif section == "projects":
                    if lowered[0] != "project_id" or "cost" not in lowered:
                        raise PabulibFormatError(
                            name, line, "the header must start with project_id and have cost"
                        )
                    project_columns = list(row)
                    cost_at = lowered.index("cost")
                else:
                    if lowered[0] != "voter_id" or "vote" not in lowered:
                        raise PabulibFormatError(
                            name, line, "the header must start with voter_id and have vote"
                        )
                    vote_columns = list(row)
                    vote_at = lowered.index("vote")
                    points_at = lowered.index("points") if "points" in lowered else -1
                continue
            if section == "meta":
                key = row[0].strip()
                if not key:
                    raise PabulibFormatError(name, line, "a META row has an empty key")
                if key in meta:
                    raise PabulibFormatError(name, line, f"key {key!r} appears twice")
                meta[key] = ";".join(row[1:]).strip()
                meta_lines[key] = line
                meta_rows.append(tuple(row))
                continue
            row = _fit_row(row, len(header), name, line)
            if section == "projects":
                project_id = row[0].strip()
                if not project_id:
                    raise PabulibFormatError(name, line, "empty project_id")
                if project_id in project_ids:
                    raise PabulibFormatError(name, line, f"project {project_id!r} appears twice")
                project_ids.add(project_id)
                cost = _whole_cost(row[cost_at], line)
                projects.append(Project(project_id, cost))
                project_rows.append(tuple(row))
                continue
            voter_id = row[0].strip()
            if not voter_id:
                raise PabulibFormatError(name, line, "empty voter_id")
            if voter_id in voter_ids:
                raise PabulibFormatError(name, line, f"voter {voter_id!r} appears twice")
            voter_ids.add(voter_id)
            key = (row[vote_at], row[points_at] if points_at >= 0 else None)
            count = ballot_counts.get(key)
            if count is None:
                ballot_counts[key] = 1
                ballot_lines[key] = line
            else:
                ballot_counts[key] = count + 1
            if self.keep_votes:
                vote_rows.append(tuple(row))
        for expected in SECTIONS:
            if expected not in seen:
                raise PabulibFormatError(expected.upper(), last_line, "section is missing")
        if header is None:
            raise PabulibFormatError("VOTES", last_line, "the header line is missing")
        file = PabulibFile(
            meta=tuple(meta_rows),
            project_columns=tuple(project_columns),
            projects=tuple(project_rows),
            vote_columns=tuple(vote_columns),
            votes=tuple(vote_rows),
        )
        return _Parsed(
            file,
            meta,
            meta_lines,
            projects,
            ballot_counts,
            ballot_lines,
        )


def _fit_row(row: list[str], width: int, section: str, line: int) -> list[str]:
    if len(row) == width:
        return row
    if len(row) < width:
        # real files leave out trailing empty cells ("7;" for an empty vote before points)
        return row + [""] * (width - len(row))
    if not any(cell.strip() for cell in row[width:]):
        return row[:width]  # a trailing `;` adds empty cells, nothing else
    raise PabulibFormatError(
        section, line, f"has {len(row)} fields but the header has {width} (an unquoted `;`?)"
    )


def _number(text: str, section: str, line: int, what: str) -> Number:
    """'3' -> 3, '400000.0' -> 400000, '1.5' -> Fraction(3, 2): exact, never a float."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise PabulibFormatError(section, line, f"{what} {text!r} is not a number") from None
    return value.numerator if value.denominator == 1 else value


def _whole_cost(text: str, line: int) -> int:
    value = _number(text, "PROJECTS", line, "cost")
    if not isinstance(value, int):
        raise PabulibFormatError(
            "PROJECTS", line, f"cost {text.strip()!r} is not a whole number of money units"
        )
    if value < 0:
        raise PabulibFormatError("PROJECTS", line, f"cost {text.strip()!r} is negative")
    return value


def _is_one(text: str) -> bool:
    try:
        return Fraction(text) == 1
    except (ValueError, ZeroDivisionError):
        return False


# -- writing --------------------------------------------------------------------------------


def format_pabulib(file: PabulibFile) -> str:
    buffer = io.StringIO()
    write_pabulib(file, buffer)
    return buffer.getvalue()


def write_pabulib(file: PabulibFile, target: str | Path | TextIO) -> None:
    """Write the sections; cells with `;`, quotes or line breaks are quoted."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as stream:
            _write(file, stream)
    else:
        _write(file, target)


def _write(file: PabulibFile, stream: TextIO) -> None:
    writer = csv.writer(stream, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(file.meta)
    writer.writerow(["PROJECTS"])
    writer.writerow(file.project_columns)
    writer.writerows(file.projects)
    writer.writerow(["VOTES"])
    writer.writerow(file.vote_columns)
    writer.writerows(file.votes)


def pabulib_from_election(
    election: Election,
    meta: Mapping[str, str],
    *,
    result: TallyResult | None = None,
    project_names: Mapping[str, str] | None = None,
) -> PabulibFile:
    """A file for an election counted here: anyone can recount it with their own tools.

    `meta` gives the descriptive keys (description, country, unit, instance, date_begin,
    date_end, currency...); num_projects, num_votes, budget, vote_type and, from `result`,
    rule are filled in. PROJECTS gets votes (and score where points count), name (the id
    where `project_names` has none) and selected. Blank ballots are written as empty votes:
    they are voters (they count in equal shares), though the checker flags empty votes.
    """
    values = dict(meta)
    values.update(
        num_projects=str(len(election.projects)),
        num_votes=str(election.voter_count),
        budget=str(election.budget),
        vote_type=election.vote_type.value,
    )
    if result is not None:
        values["rule"] = result.rule
    if election.vote_type is VoteType.ORDINAL and election.ordinal_max_length is not None:
        values.setdefault("max_length", str(election.ordinal_max_length))
    ordered = [k for k in META_ORDER if k in values] + [k for k in values if k not in META_ORDER]
    meta_rows = tuple((key, values[key]) for key in ordered)

    support = count_support(election)
    with_score = election.vote_type.has_points or election.vote_type is VoteType.ORDINAL
    # the checker needs a name for every project: the id stands in where none is given
    columns = ["project_id", "cost", "votes"] + (["score"] if with_score else []) + ["name"]
    names = project_names or {}
    if result is not None:
        columns.append("selected")
    selected = set(result.selected) if result is not None else set()
    listings = _listings(election)
    project_rows = []
    for index, project in enumerate(election.projects):
        row = [project.id, str(project.cost), str(listings[index])]
        if with_score:
            row.append(_number_text(support.scores[index]))
        row.append(names.get(project.id) or project.id)
        if result is not None:
            row.append("1" if project.id in selected else "0")
        project_rows.append(tuple(row))

    vote_columns = (
        ("voter_id", "vote", "points") if election.vote_type.has_points else ("voter_id", "vote")
    )
    vote_rows = []
    voter = 0
    for ballot in election.ballots:
        vote = ",".join(election.projects[i].id for i in ballot.projects)
        points = (
            ",".join(_number_text(p) for p in ballot.points) if ballot.points is not None else None
        )
        for _ in range(ballot.count):
            voter += 1
            cells = (str(voter), vote) if points is None else (str(voter), vote, points)
            vote_rows.append(cells)
    return PabulibFile(
        meta=meta_rows,
        project_columns=tuple(columns),
        projects=tuple(project_rows),
        vote_columns=vote_columns,
        votes=tuple(vote_rows),
    )


def _listings(election: Election) -> list[int]:
    """How many voters list each project (the `votes` column), whatever points they gave."""
    counts = [0] * len(election.projects)
    for ballot in election.ballots:
        for index in ballot.projects:
            counts[index] += ballot.count
    return counts


def _number_text(value: Number) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        # a decimal when the fraction has one (1.5), else the exact fraction (1/3)
        for digits in range(1, 19):
            scaled = value * 10**digits
            if scaled.denominator == 1:
                sign = "-" if value < 0 else ""
                whole, rest = divmod(abs(scaled.numerator), 10**digits)
                return f"{sign}{whole}.{rest:0{digits}d}"
        return f"{value.numerator}/{value.denominator}"
    return str(int(value))


def declared_counts(file: PabulibFile, column: str) -> dict[str, Number] | None:
    """A PROJECTS column of numbers (votes, score) as the file states it."""
    cells = file.project_column(column)
    if cells is None:
        return None
    return {pid: _number(text, "PROJECTS", 0, column) for pid, text in cells.items() if text}


def computed_counts(election: Election) -> dict[str, dict[str, Number]]:
    """What the ballots say, in the file's terms: `votes` (listings) and `score`."""
    support = count_support(election)
    listings = _listings(election)
    ids = [p.id for p in election.projects]
    result: dict[str, dict[str, Number]] = {"votes": dict(zip(ids, listings, strict=True))}
    if election.vote_type.has_points or election.vote_type is VoteType.ORDINAL:
        result["score"] = dict(zip(ids, support.scores, strict=True))
    return result


def count_mismatches(loaded: PabulibElection) -> list[str]:
    """Where the PROJECTS columns votes/score disagree with the ballots (empty: they agree)."""
    problems = []
    computed = computed_counts(loaded.election)
    for column, values in computed.items():
        declared = declared_counts(loaded.file, column)
        if declared is None:
            continue
        for project_id, value in values.items():
            stated = declared.get(project_id, 0)
            if stated != value:
                problems.append(f"{column} of {project_id}: file says {stated}, ballots {value}")
    return problems
