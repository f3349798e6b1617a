"""The ballot box's cryptography: padding, sealing, shares, browser state."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pb.voting import sealing

marks_strategy = st.dictionaries(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=-3, max_value=9).filter(lambda v: v != 0),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(st.lists(marks_strategy, min_size=1, max_size=25), st.randoms(use_true_random=False))
def test_sealing_then_shuffling_and_opening_gives_exactly_the_ballots_cast(ballots, rng):
    master = sealing.new_master_secret()
    public = bytes(sealing.private_key_of(master).public_key)
    length = sealing.plain_length(40)
    sealed = [sealing.seal_marks(public, marks, length) for marks in ballots]
    assert len({len(s) for s in sealed}) == 1  # one length for every ballot
    rng.shuffle(sealed)
    shares = sealing.split_secret(master, 2, 3)
    open_one = sealing.opener(sealing.private_key_of(sealing.combine_shares(shares[1:])))
    opened = [open_one(s) for s in sealed]
    as_multiset = Counter(tuple(sorted(m.items())) for m in opened)
    assert as_multiset == Counter(tuple(sorted(m.items())) for m in ballots)


def test_two_of_three_shares_rebuild_the_key_and_one_does_not():
    master = sealing.new_master_secret()
    shares = sealing.split_secret(master, 2, 3)
    for pair in ((0, 1), (0, 2), (1, 2)):
        assert sealing.combine_shares([shares[i] for i in pair]) == master
    with pytest.raises(sealing.ShareError):
        sealing.combine_shares(shares[:1])
    with pytest.raises(sealing.ShareError):
        sealing.combine_shares([shares[0], shares[0]])
    mistyped = shares[1].split()
    mistyped[5] = "academic" if mistyped[5] != "academic" else "acid"
    with pytest.raises(sealing.ShareError):
        sealing.combine_shares([shares[0], " ".join(mistyped)])
    other = sealing.split_secret(sealing.new_master_secret(), 2, 3)
    with pytest.raises(sealing.ShareError):
        sealing.combine_shares([shares[0], other[1]])


def test_the_demo_split_is_deterministic_and_a_real_one_is_not():
    seed = b"seed"
    master = bytes(16)
    assert sealing.split_secret(master, 2, 3, seed=seed) == sealing.split_secret(
        master, 2, 3, seed=seed
    )
    assert sealing.split_secret(master, 2, 3) != sealing.split_secret(master, 2, 3)


def test_a_member_key_opens_only_with_the_password_it_was_wrapped_with():
    cost = sealing.KDF_COSTS["minimal"]
    wrapped = sealing.new_member_key("correct horse battery", cost)
    sealed = sealing.seal_share(wrapped.public_key, "fake type academic")
    args = (wrapped.wrapped_private_key, wrapped.salt, wrapped.opslimit, wrapped.memlimit)
    assert sealing.unwrap_member_key("wrong password", *args) is None
    key = sealing.unwrap_member_key("correct horse battery", *args)
    assert sealing.open_share(key, sealed) == "fake type academic"
    assert b"academic" not in sealed


def test_browser_state_is_sealed_bound_to_its_purpose_and_expires():
    token = sealing.seal_for_browser("secret", "pb-receipt", {"c": "CODE-1234"}, 60)
    assert "CODE" not in token
    assert sealing.open_from_browser("secret", "pb-receipt", token) == {"c": "CODE-1234"}
    assert sealing.open_from_browser("secret", "pb-vote-v", token) is None
    assert sealing.open_from_browser("other", "pb-receipt", token) is None
    assert sealing.open_from_browser("secret", "pb-receipt", token[:-2] + "AA") is None
    expired = sealing.seal_for_browser("secret", "pb-receipt", {"c": "x"}, -1)
    assert sealing.open_from_browser("secret", "pb-receipt", expired) is None


def test_padding_hides_how_many_marks_a_ballot_has():
    length = sealing.plain_length(30)
    few = sealing.encode_marks({1: 1}, length)
    many = sealing.encode_marks({i: 1 for i in range(1, 31)}, length)
    assert len(few) == len(many) == length
    assert sealing.decode_marks(many) == {i: 1 for i in range(1, 31)}
