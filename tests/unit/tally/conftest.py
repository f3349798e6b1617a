"""Fixtures for the tally tests: where the real Pabulib elections live, and a small builder."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from pb.tally import Election, Project

REPO_ROOT = Path(__file__).resolve().parents[3]


def pabulib_dir() -> Path:
    """../shared/data/pabulib next to the repository, or PB_PABULIB_DIR."""
    configured = os.environ.get("PB_PABULIB_DIR")
    if configured:
        return Path(configured)
    return (REPO_ROOT / "../shared/data/pabulib").resolve()


def pabulib_more_dir() -> Path:
    """../shared/data/pabulib-more next to the repository, or PB_PABULIB_MORE_DIR."""
    configured = os.environ.get("PB_PABULIB_MORE_DIR")
    if configured:
        return Path(configured)
    return (REPO_ROOT / "../shared/data/pabulib-more").resolve()


def pabulib_folders() -> list[Path]:
    """Every folder of real Pabulib files that is present (none: the tests skip)."""
    return [f for f in (pabulib_dir(), pabulib_more_dir()) if f.is_dir() and any(f.glob("*.pb"))]


@pytest.fixture(scope="session")
def real_elections_dir() -> Path:
    folder = pabulib_dir()
    if not folder.is_dir() or not any(folder.glob("*.pb")):
        pytest.skip(f"no Pabulib files in {folder} (set PB_PABULIB_DIR to run these tests)")
    return folder


def make_election(
    costs: dict[str, int],
    ballots: Iterable[Sequence[str]] | Iterable[dict[str, int]],
    budget: int,
    vote_type: str = "approval",
    **options: object,
) -> Election:
    """Projects from {id: cost} in that order, ballots as project ids (or id -> points)."""
    projects = [Project(project_id, cost) for project_id, cost in costs.items()]
    return Election.build(budget, projects, list(ballots), vote_type, **options)  # type: ignore[arg-type]
