"""Small cells of the turnout statistics are merged: no published figure describes < 10 people."""

from hypothesis import given
from hypothesis import strategies as st

from pb.results.turnout import Cell, all_band_keys, band_key, merge_ordered, merge_unordered


def cells(*counts, registry=True):
    return [Cell((f"k{i}",), n, n * 10 if registry else None) for i, n in enumerate(counts)]


def test_a_small_age_band_joins_its_smaller_neighbour():
    merged = merge_ordered(cells(40, 3, 25, 60))
    assert [(c.keys, c.voters) for c in merged] == [
        (("k0",), 40),
        (("k1", "k2"), 28),
        (("k3",), 60),
    ]
    assert merged[1].registry == 280  # the registry is merged the same way


def test_small_bands_at_the_edges_join_inwards_until_every_band_is_large_enough():
    # 2 joins 5 (7), then 4 joins 30 (34), then 7 joins 34: one band of everyone.
    merged = merge_ordered(cells(2, 5, 30, 4))
    assert [(c.keys, c.voters) for c in merged] == [(("k0", "k1", "k2", "k3"), 41)]


def test_a_lone_small_cell_stays_because_the_total_is_published_anyway():
    assert merge_ordered(cells(7)) == cells(7)
    assert [c.voters for c in merge_unordered(cells(3, 4))] == [7]


def test_small_districts_are_folded_into_other_districts():
    merged = merge_unordered(cells(50, 6, 30, 7), other_key="other")
    assert [(c.keys, c.voters) for c in merged] == [
        (("k0",), 50),
        (("k2",), 30),
        (("other", "k1", "k3"), 13),
    ]


def test_other_districts_take_the_smallest_large_district_when_still_too_small():
    merged = merge_unordered(cells(50, 2, 30, 7), other_key="other")
    # 2 + 7 = 9 is still under 10, so the smallest remaining district (30) joins "other".
    assert [(c.keys, c.voters) for c in merged] == [
        (("k0",), 50),
        (("other", "k1", "k3", "k2"), 39),
    ]


def test_cells_with_nobody_and_no_registry_are_left_out():
    merged = merge_unordered([Cell(("online",), 40, None), Cell(("paper",), 0, None)])
    assert [(c.keys, c.voters) for c in merged] == [(("online",), 40)]


def test_age_bands_start_at_the_minimum_age():
    assert all_band_keys(15) == [
        "15-17",
        "18-24",
        "25-34",
        "35-44",
        "45-54",
        "55-64",
        "65-74",
        "75-",
    ]
    assert band_key(15, 15) == "15-17" and band_key(74, 15) == "65-74" and band_key(99, 15) == "75-"
    assert all_band_keys(0)[0] == "0-17"


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12))
def test_merging_never_leaves_a_cell_under_ten_and_keeps_every_person(counts):
    total = sum(counts)
    for merged in (merge_ordered(cells(*counts)), merge_unordered(cells(*counts))):
        assert sum(c.voters for c in merged) == total
        if len(merged) > 1:
            assert all(c.voters >= 10 for c in merged), merged
        # no key twice, and everyone who voted is in some cell
        keys = [k for c in merged for k in c.keys if k != "other"]
        assert len(keys) == len(set(keys))
        assert {f"k{i}" for i, n in enumerate(counts) if n} <= set(keys)
