"""The budget bar's colours: one per funded project up to PALETTE_SIZE, none repeated, each one
visible against the white gaps between segments (WCAG 1.4.11: 3:1 for parts of a graphic)."""

from __future__ import annotations

import re
from pathlib import Path

from pb.results.presenters import PALETTE_SIZE

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (_luminance(hex_colour) + 0.05)


def test_thirty_projects_get_thirty_different_colours_each_visible_on_white():
    colours = dict(re.findall(r"\.bar-seg-(\d+) \{ fill: #([0-9a-f]{6}); \}", CSS.read_text()))
    assert PALETTE_SIZE >= 30
    assert sorted(int(i) for i in colours) == list(range(PALETTE_SIZE))
    assert len(set(colours.values())) == PALETTE_SIZE, "a colour repeats"
    for index, colour in colours.items():
        assert _contrast_with_white(colour) >= 3, f"bar-seg-{index} #{colour} is too pale"
