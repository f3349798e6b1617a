"""Recount a Pabulib file by its own rule (or another): what the command line and tests run."""

from __future__ import annotations

from collections.abc import Collection

from pb.tally.errors import PabulibFormatError, TallyError
from pb.tally.explain import TallyResult
from pb.tally.pabulib import EXCLUSIVE_PAIRS_KEY, PabulibElection, Source, load_election
from pb.tally.rules import RULES, tally
from pb.tally.tiebreak import TieBreak

# Pabulib's checker applies min_project_score_threshold to these rules; plain greedy ignores it
# (a file with a threshold and rule "greedy" is, by the format, a mistake in the file).
_RULES_USING_FILE_THRESHOLD = ("greedy-threshold", "greedy-no-skip", "greedy-exclusive")


def recount(
    source: Source | PabulibElection,
    rule: str | None = None,
    *,
    tie_break: TieBreak | None = None,
    withdrawn: Collection[str] = (),
    encoding: str | None = None,
) -> TallyResult:
    """Tally a file; `rule` defaults to the file's META rule.

    What the file's META states is applied: min_project_score_threshold (for the rules that
    take it), greedy-custom's reserve share (`reserve_share`, else the percentage in the
    `comment`, else 80%) and mutually exclusive projects (`exclusive_pairs`, for every rule).
    """
    loaded = (
        source if isinstance(source, PabulibElection) else load_election(source, encoding=encoding)
    )
    rule = rule or loaded.rule
    if not rule:
        raise TallyError("the file names no rule in META; choose one")
    if rule not in RULES:
        raise TallyError(f"unknown rule {rule!r}; known rules: {', '.join(RULES)}")
    exclusive = loaded.exclusive_pairs
    if RULES[rule].needs_exclusive and not exclusive:
        raise PabulibFormatError(
            "META",
            loaded.meta_lines.get("rule", 0),
            f"rule {rule} needs the mutually exclusive projects in the META key "
            f"{EXCLUSIVE_PAIRS_KEY} (pairs of project ids, e.g. 12:15;3:4); this file has "
            "none (Pabulib states them only in prose)",
        )
    threshold = loaded.threshold if rule in _RULES_USING_FILE_THRESHOLD else None
    reserve_share = loaded.reserve_share if RULES[rule].takes_reserve_share else None
    return tally(
        loaded.election,
        rule,
        tie_break=tie_break,
        threshold=threshold,
        withdrawn=withdrawn,
        reserve_share=reserve_share,
        exclusive=exclusive,
    )
