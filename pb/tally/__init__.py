"""The tally engine: exact, explainable winners of participatory budgeting elections.

Pure Python (standard library only): no Flask, no database. The web app builds an `Election`
from a category's projects (whole-unit costs) and ballots and calls `tally`:

    election = Election.build(budget=1_000_000, projects=[Project("P1", 400_000), ...],
                              ballots=[["P1", "P3"], ...], vote_type="approval")
    result = tally(election, "greedy")            # or "equalshares/add1", "plus-minus", ...
    result.selected                               # ids in the order they were funded
    for line in result.projects:                  # every project, with its reason
        line.reason.code, line.reason.value_map, line.reason.text

Pabulib files: `load_election` / `read_pabulib` / `write_pabulib` / `recount`.
"""

from pb.tally.errors import PabulibFormatError, TallyError
from pb.tally.explain import ProjectOutcome, Reason, ReasonCode, TallyResult
from pb.tally.model import Ballot, Election, Number, Project, VoteType
from pb.tally.pabulib import (
    PabulibElection,
    PabulibFile,
    format_pabulib,
    load_election,
    pabulib_from_election,
    read_pabulib,
    write_pabulib,
)
from pb.tally.recount import recount
from pb.tally.rules import RULES, RuleOptions, tally, tally_with
from pb.tally.scoring import Support, count_support
from pb.tally.tiebreak import TieBreak, TieBreakCriterion

__all__ = [
    "RULES",
    "Ballot",
    "Election",
    "Number",
    "PabulibElection",
    "PabulibFile",
    "PabulibFormatError",
    "Project",
    "ProjectOutcome",
    "Reason",
    "ReasonCode",
    "RuleOptions",
    "Support",
    "TallyError",
    "TallyResult",
    "TieBreak",
    "TieBreakCriterion",
    "VoteType",
    "count_support",
    "format_pabulib",
    "load_election",
    "pabulib_from_election",
    "read_pabulib",
    "recount",
    "tally",
    "tally_with",
    "write_pabulib",
]
