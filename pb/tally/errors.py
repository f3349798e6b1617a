"""Errors the tally engine raises: each names what is wrong in words a person can act on."""

from __future__ import annotations


class TallyError(ValueError):
    """An election or a request that the tally cannot work with (unknown rule, bad ballot...)."""


class PabulibFormatError(TallyError):
    """A Pabulib file that is not well formed: says the section, the line and what is wrong."""

    def __init__(self, section: str, line: int, problem: str) -> None:
        self.section = section
        self.line = line
        self.problem = problem
        where = f"{section}, line {line}" if line else section
        super().__init__(f"{where}: {problem}")
