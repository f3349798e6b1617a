"""Recount a Pabulib file by its own rule (or another): what the command line and tests run."""

from __future__ import annotations

from collections.abc import Collection

from pb.tally.errors import TallyError
from pb.tally.explain import TallyResult
from pb.tally.pabulib import PabulibElection, Source, load_election
from pb.tally.rules import RULES, tally
from pb.tally.tiebreak import TieBreak

# Pabulib's checker applies min_project_score_threshold to these rules; plain greedy ignores it
# (a file with a threshold and rule "greedy" is, by the format, a mistake in the file).
_RULES_USING_FILE_THRESHOLD = ("greedy-threshold", "greedy-no-skip")


def recount(
    source: Source | PabulibElection,
    rule: str | None = None,
    *,
    tie_break: TieBreak | None = None,
    withdrawn: Collection[str] = (),
) -> TallyResult:
    """Tally a file; `rule` defaults to the file's META rule."""
    loaded = source if isinstance(source, PabulibElection) else load_election(source)
    rule = rule or loaded.rule
    if not rule:
        raise TallyError("the file names no rule in META; choose one")
    if rule not in RULES:
        raise TallyError(f"unknown rule {rule!r}; known rules: {', '.join(RULES)}")
    threshold = loaded.threshold if rule in _RULES_USING_FILE_THRESHOLD else None
    return tally(
        loaded.election, rule, tie_break=tie_break, threshold=threshold, withdrawn=withdrawn
    )
