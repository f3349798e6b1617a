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

import codecs
import csv
import io
import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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
    meta_lines: Mapping[str, int] = field(default_factory=dict)
    """META key -> its line in the file (for messages)."""

    @property
    def rule(self) -> str | None:
        return self.file.meta_map.get("rule") or None

    @property
    def threshold(self) -> Number | None:
        text = self.file.meta_map.get("min_project_score_threshold", "")
        line = self.meta_lines.get("min_project_score_threshold", 0)
        return _number(text, "META", line, "min_project_score_threshold") if text else None

    @property
    def reserve_share(self) -> Fraction | None:
        """greedy-custom's reserve share: META `reserve_share` (0.8), else the percentage the
        META `comment` states ("... at least 80% of that project ..."), else None."""
        meta = self.file.meta_map
        text = meta.get(RESERVE_SHARE_KEY, "")
        if text:
            value = Fraction(
                _number(text, "META", self.meta_lines.get(RESERVE_SHARE_KEY, 0), RESERVE_SHARE_KEY)
            )
            return value
        found = _RESERVE_IN_COMMENT.search(meta.get("comment", ""))
        if found:
            return Fraction(found.group(1).replace(",", ".")) / 100
        return None

    @property
    def exclusive_pairs(self) -> tuple[tuple[str, str], ...]:
        """META `exclusive_pairs` ("12:15;3:4"): pairs of projects that cannot both be funded."""
        text = self.file.meta_map.get(EXCLUSIVE_PAIRS_KEY, "")
        line = self.meta_lines.get(EXCLUSIVE_PAIRS_KEY, 0)
        return parse_exclusive_pairs(text, line, {p.id for p in self.election.projects})

    def official_reserve(self) -> tuple[str, ...]:
        """Projects the city funded from a reserve: `selected` = 2 in a greedy-custom file (other
        files use 2 for other things: Katowice 2024 Podlesie, Gdynia 2020 Oksywie)."""
        selected = self.file.project_column("selected")
        if selected is None or self.rule != "greedy-custom":
            return ()
        return tuple(pid for pid, value in selected.items() if value.strip() == "2")


RESERVE_SHARE_KEY = "reserve_share"
"""Our META key for greedy-custom's reserve share, a number between 0 and 1 (Poznań: 0.8)."""

EXCLUSIVE_PAIRS_KEY = "exclusive_pairs"
"""Our META key for mutually exclusive projects: `first:second` pairs of project ids
separated by `;` (the value is quoted by the writer), e.g. `12:15;3:4`. Pabulib itself states
exclusions only in prose, so a file with rule greedy-exclusive must carry this key to be
counted."""

_RESERVE_IN_COMMENT = re.compile(r"at least\s+(\d+(?:[.,]\d+)?)\s*%", re.IGNORECASE)


def parse_exclusive_pairs(
    text: str, line: int, project_ids: Collection[str]
) -> tuple[tuple[str, str], ...]:
    """'12:15;3:4' -> (('12', '15'), ('3', '4')); names a malformed pair or unknown project."""
    pairs = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        ids = [i.strip() for i in part.split(":")]
        if len(ids) != 2 or not all(ids) or ids[0] == ids[1]:
            raise PabulibFormatError(
                "META",
                line,
                f"{EXCLUSIVE_PAIRS_KEY}: {part!r} is not a pair of two project ids like 12:15",
            )
        for project_id in ids:
            if project_id not in project_ids:
                raise PabulibFormatError(
                    "META",
                    line,
                    f"{EXCLUSIVE_PAIRS_KEY}: project {project_id!r} is not in PROJECTS",
                )
        pairs.append((ids[0], ids[1]))
    return tuple(pairs)


def format_exclusive_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return ";".join(f"{first}:{second}" for first, second in pairs)


# -- reading --------------------------------------------------------------------------------


def read_pabulib(source: Source, *, encoding: str | None = None) -> PabulibFile:
    """Read a whole file, keeping every voter row (for round trips and exports).

    `encoding`: the file's encoding when it is not UTF-8 (e.g. "cp1250"); a file that is not
    UTF-8 is otherwise refused naming the line.
    """
    return _Parser(_text_of(source, encoding), keep_votes=True).parse().file


def load_election(source: Source, *, encoding: str | None = None) -> PabulibElection:
    """Read a file for counting: checks every vote, aggregates identical ballots."""
    parsed = _Parser(_text_of(source, encoding), keep_votes=False).parse()
    return PabulibElection(parsed.file, parsed.election(), parsed.meta_lines)


def election_from_file(file: PabulibFile) -> Election:
    """The election a whole file describes (same result as `load_election`)."""
    return _Parser(format_pabulib(file), keep_votes=False).parse().election()


def _text_of(source: Source, encoding: str | None) -> str:
    """The file's text; undecodable bytes are refused naming the section and line."""
    if not isinstance(source, str | Path):
        return source.read()
    try:
        data = Path(source).read_bytes()
    except OSError as error:
        raise PabulibFormatError("file", 0, f"cannot be read: {error.strerror or error}") from None
    try:
        codec = codecs.lookup(encoding or "utf-8-sig")
    except LookupError:
        raise PabulibFormatError("file", 0, f"unknown encoding {encoding!r}") from None
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name
    try:
        return data.decode(name)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        before = data[: error.start].decode(name, errors="replace")
        section = _section_before(before)
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        byte = data[error.start]
        hint = (
            "name the file's encoding (pb-tally --encoding cp1250, or encoding='cp1250'), or "
            "convert it to UTF-8"
            if encoding is None
            else "check the encoding named"
        )
        raise PabulibFormatError(
            section, line, f"byte 0x{byte:02x} at column {column} is not {name}; {hint}"
        ) from None


def _section_before(text: str) -> str:
    """The section a position of the file is in, from the text before it."""
    section = "file"
    for line in text.splitlines():
        cells = line.lstrip("\ufeff").split(";")
        name = cells[0].strip().upper()
        if name in ("META", "PROJECTS", "VOTES") and not "".join(cells[1:]).strip():
            section = name
    return section


@dataclass
class _Parsed:
    file: PabulibFile
    meta: dict[str, str]
    meta_lines: dict[str, int]
    projects: list[Project]
    ballot_counts: dict[tuple[str, str | None], int]
    ballot_lines: dict[tuple[str, str | None], int]
    meta_header_line: int

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
            raise PabulibFormatError("META", self.meta_header_line, "vote_type is missing")
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
            line = self.meta_lines.get("budget", self.meta_header_line)
            raise PabulibFormatError("META", line, "budget is missing")
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
        points = _points(points_text, line)
        if len(points) == len(indices) and len(set(indices)) != len(indices):
            # Real files write 4 points as "579,579,579,579" with points "1,1,1,1"
            # (Czestochowa 2020): a project listed again gets the points added up.
            merged: dict[int, Number] = {}
            for index, value in zip(indices, points, strict=True):
                merged[index] = merged.get(index, 0) + value
            indices, points = list(merged), tuple(merged.values())
    elif vote_type is VoteType.ORDINAL and points_text is not None and points_text.strip():
        # Kraków 2021-2022: ranked ballots that state the points each rank earned (3, 2, 1)
        points = _points(points_text, line)
    elif points_text is not None and points_text.strip():
        raise PabulibFormatError("VOTES", line, f"a {vote_type} vote carries no points")
    try:
        check_ballot_shape(vote_type, indices, points, max_length, "the vote")
    except TallyError as error:
        raise PabulibFormatError("VOTES", line, str(error)) from None
    return Ballot(tuple(indices), points, count)


def _points(text: str, line: int) -> tuple[Number, ...]:
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    return tuple(_number(p, "VOTES", line, "points") for p in parts)


def _row_key(
    row: list[str],
    section: str,
    line: int,
    seen: Collection[str],
    noun: str,
    empty: str,
) -> str:
    """A row's first cell, which names it within its section: never empty, never twice."""
    key = row[0].strip()
    if not key:
        raise PabulibFormatError(section, line, empty)
    if key in seen:
        raise PabulibFormatError(section, line, f"{noun} {key!r} appears twice")
    return key


class _Parser:
    """One pass over the rows, section by section; keeps voter rows only when asked to.

    `parse` walks the rows and hands each to the step for its section: `_start_section` for
    a section's name, `_header` for its header line, then `_meta_row`, `_project_row` or
    `_vote_row`; `_finish` checks what only the whole file can tell (sections present, counts
    declared in META equal to the rows, at least one vote).
    """

    def __init__(self, text: str, *, keep_votes: bool) -> None:
        self.text = text
        self.keep_votes = keep_votes
        self.meta_rows: list[tuple[str, ...]] = []
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.section_lines: dict[str, int] = {}
        self.project_columns: list[str] = []
        self.project_rows: list[tuple[str, ...]] = []
        self.projects: list[Project] = []
        self.project_ids: set[str] = set()
        self.vote_columns: list[str] = []
        self.vote_rows: list[tuple[str, ...]] = []
        self.ballot_counts: dict[tuple[str, str | None], int] = {}
        self.ballot_lines: dict[tuple[str, str | None], int] = {}
        self.voter_ids: set[str] = set()
        self.section = ""
        self.header: list[str] | None = None
        self.cost_at = self.vote_at = self.points_at = -1
        self.last_line = 0

    def parse(self) -> _Parsed:
        if not self.text.strip():
            raise PabulibFormatError("file", 1, "the file is empty; it must start with META")
        for line, row in self._rows():
            self.last_line = line
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # empty lines are harmless
            first = row[0].strip().lower()
            if first in SECTIONS and not any(cell.strip() for cell in row[1:]):
                self._start_section(first, line)
            elif not self.section:
                raise PabulibFormatError("file", line, "the file must start with META")
            elif self.header is None:
                self._header(row, line)
            elif self.section == "meta":
                self._meta_row(row, line)
            elif self.section == "projects":
                self._project_row(_fit_row(row, len(self.header), "PROJECTS", line), line)
            else:
                self._vote_row(_fit_row(row, len(self.header), "VOTES", line), line)
        return self._finish()

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line where the row starts, cells); a quote left open is reported where it opens."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=";")
        start = 1
        try:
            for row in reader:
                if reader.line_num > start and any("\n" in c or "\r" in c for c in row):
                    raise PabulibFormatError(
                        self._section_name(),
                        start,
                        "a quote opens here and is not closed on "
                        "this line (a cell cannot span lines)",
                    )
                yield start, row
                start = reader.line_num + 1
        except csv.Error as error:
            problem = str(error)
            if "EOF" in problem or "end of data" in problem or reader.line_num > start:
                problem = "a quote opens here and is never closed"
            raise PabulibFormatError(self._section_name(), start, problem) from None

    def _section_name(self) -> str:
        return self.section.upper() if self.section else "file"

    def _start_section(self, name: str, line: int) -> None:
        if name in self.section_lines:
            raise PabulibFormatError(name.upper(), line, "section appears twice")
        expected = SECTIONS[len(self.section_lines)]
        if name != expected:
            raise PabulibFormatError(
                name.upper(),
                line,
                f"sections must come in the order META, PROJECTS, VOTES; "
                f"expected {expected.upper()} here",
            )
        self.section_lines[name] = line
        self.section, self.header = name, None

    def _header(self, row: list[str], line: int) -> None:
        name = self.section.upper()
        header = [cell.strip() for cell in row]
        lowered = [cell.lower() for cell in header]
        if len(set(lowered)) != len(lowered):
            raise PabulibFormatError(name, line, f"duplicated column names: {header}")
        if self.section == "meta":
            if lowered[:2] != ["key", "value"]:
                raise PabulibFormatError(name, line, "the header must be key;value")
        elif self.section == "projects":
            if lowered[0] != "project_id" or "cost" not in lowered:
                raise PabulibFormatError(
                    name, line, "the header must start with project_id and have cost"
                )
            self.project_columns = list(row)
            self.cost_at = lowered.index("cost")
        else:
            if lowered[0] != "voter_id" or "vote" not in lowered:
                raise PabulibFormatError(
                    name, line, "the header must start with voter_id and have vote"
                )
            self.vote_columns = list(row)
            self.vote_at = lowered.index("vote")
            self.points_at = lowered.index("points") if "points" in lowered else -1
        self.header = header

    def _meta_row(self, row: list[str], line: int) -> None:
        key = _row_key(row, "META", line, self.meta, "key", "a META row has an empty key")
        self.meta[key] = ";".join(row[1:]).strip()
        self.meta_lines[key] = line
        self.meta_rows.append(tuple(row))

    def _project_row(self, row: list[str], line: int) -> None:
        project_id = _row_key(
            row, "PROJECTS", line, self.project_ids, "project", "empty project_id"
        )
        self.project_ids.add(project_id)
        self.projects.append(Project(project_id, _whole_cost(row[self.cost_at], line)))
        self.project_rows.append(tuple(row))

    def _vote_row(self, row: list[str], line: int) -> None:
        voter_id = _row_key(row, "VOTES", line, self.voter_ids, "voter", "empty voter_id")
        self.voter_ids.add(voter_id)
        key = (row[self.vote_at], row[self.points_at] if self.points_at >= 0 else None)
        count = self.ballot_counts.get(key)
        if count is None:
            self.ballot_counts[key] = 1
            self.ballot_lines[key] = line
        else:
            self.ballot_counts[key] = count + 1
        if self.keep_votes:
            self.vote_rows.append(tuple(row))

    def _finish(self) -> _Parsed:
        for expected in SECTIONS:
            if expected not in self.section_lines:
                raise PabulibFormatError(expected.upper(), self.last_line, "section is missing")
        if self.header is None:
            raise PabulibFormatError("VOTES", self.last_line, "the header line is missing")
        if not self.voter_ids:
            raise PabulibFormatError(
                "VOTES", self.section_lines["votes"], "the section has no votes"
            )
        self._check_declared_count("num_projects", len(self.projects), "PROJECTS", "projects")
        self._check_declared_count("num_votes", len(self.voter_ids), "VOTES", "votes")
        file = PabulibFile(
            meta=tuple(self.meta_rows),
            project_columns=tuple(self.project_columns),
            projects=tuple(self.project_rows),
            vote_columns=tuple(self.vote_columns),
            votes=tuple(self.vote_rows),
        )
        return _Parsed(
            file,
            self.meta,
            self.meta_lines,
            self.projects,
            self.ballot_counts,
            self.ballot_lines,
            self.section_lines["meta"],
        )

    def _check_declared_count(self, key: str, rows: int, section: str, what: str) -> None:
        text = self.meta.get(key, "")
        if not text:
            return
        line = self.meta_lines[key]
        declared = _number(text, "META", line, key)
        if declared != rows:
            raise PabulibFormatError(
                "META",
                line,
                f"{key} says {text.strip()} but {section} has {rows} {what} "
                "(a file cut short, or rows added or lost?)",
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


_NUMBER = re.compile(r"[+-]?(\d{1,30}(\.\d{0,30})?|\.\d{1,30})")


def _number(text: str, section: str, line: int, what: str) -> Number:
    """'3' -> 3, '400000.0' -> 400000, '1.5' -> Fraction(3, 2): exact, never a float.

    Only plain decimals: an exponent or thousands of digits could make a huge number."""
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        raise PabulibFormatError(section, line, f"{what} {text!r} is not a number")
    value = Fraction(cleaned)
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
    cleaned = text.strip()
    return bool(_NUMBER.fullmatch(cleaned)) and Fraction(cleaned) == 1


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
    exclusive: Iterable[tuple[str, str]] = (),
) -> PabulibFile:
    """A file for an election counted here: anyone can recount it with their own tools.

    `meta` gives the descriptive keys (description, country, unit, instance, date_begin,
    date_end, currency...); num_projects, num_votes, budget, vote_type and, from `result`,
    rule are filled in. PROJECTS gets votes (and score where points count), name (the id
    where `project_names` has none) and selected (2 for a project funded from a reserve).
    `exclusive` pairs are written under META `exclusive_pairs`. Blank ballots are written as
    empty votes: they are voters (they count in equal shares), though the checker flags empty
    votes. Ordinal ballots that carry their own points get a points column.
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
    pairs = format_exclusive_pairs(exclusive)
    if pairs:
        values[EXCLUSIVE_PAIRS_KEY] = pairs
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
    reserve = set(result.reserve) if result is not None else set()
    listings = _listings(election)
    project_rows = []
    for index, project in enumerate(election.projects):
        row = [project.id, str(project.cost), str(listings[index])]
        if with_score:
            row.append(_number_text(support.scores[index]))
        row.append(names.get(project.id) or project.id)
        if result is not None:
            row.append("1" if project.id in selected else "2" if project.id in reserve else "0")
        project_rows.append(tuple(row))

    with_points = election.vote_type.has_points or any(
        b.points is not None for b in election.ballots
    )
    vote_columns = ("voter_id", "vote", "points") if with_points else ("voter_id", "vote")
    vote_rows = []
    voter = 0
    for ballot in election.ballots:
        vote = ",".join(election.projects[i].id for i in ballot.projects)
        points = (
            ",".join(_number_text(p) for p in ballot.points) if ballot.points is not None else None
        )
        for _ in range(ballot.count):
            voter += 1
            cells = (str(voter), vote) if not with_points else (str(voter), vote, points or "")
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
