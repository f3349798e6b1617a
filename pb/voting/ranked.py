"""Ranked ballots in words: what is wrong with a voter's ranks, in the voter's language.

The ballot stores a rank (1, 2, 3 ...) per project; the points each rank earns (3, 2, 1 in
Kraków) are the group's setting, applied when the votes are counted.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from pb.tally.ballot_rules import Code, Violation


def ranked_violation_text(violation: Violation, project: str) -> str:
    v = violation.values
    code = violation.code
    if code == Code.BAD_VALUE:
        return _("Ranked voting: choose a rank for “%(project)s” from the list.", project=project)
    if code == Code.TOO_MANY:
        return ngettext(
            "Ranked voting: you may rank at most %(num)d project here and you ranked "
            "%(given)d; remove %(excess)d.",
            "Ranked voting: you may rank at most %(num)d projects here and you ranked "
            "%(given)d; remove %(excess)d.",
            int(v.get("limit", 0)),
            given=v.get("given", 0),
            excess=v.get("excess", 0),
        )
    if code == Code.RANK_TWICE:
        return _(
            "Ranked voting: rank %(rank)s is given to %(given)s projects; give each rank to one "
            "project only.",
            rank=v.get("rank", 0),
            given=v.get("given", 0),
        )
    if code == Code.RANK_GAP:
        return _(
            "Ranked voting: rank %(rank)s is missing; rank your choices 1, 2, 3 … without a gap.",
            rank=v.get("rank", 0),
        )
    return _(
        "A project you marked is not on your ballot (%(project)s); remove the mark.",
        project=project,
    )
