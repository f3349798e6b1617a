"""Corrupted Pabulib files are refused in place: section and line (or META key), never a
traceback, whatever the bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pb.tally import PabulibFormatError, TallyError, load_election, read_pabulib, recount

from .test_tally_pabulib import QUIRKY


def refused(tmp_path, data: bytes | str, **options) -> PabulibFormatError:
    path = tmp_path / "bad.pb"
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    with pytest.raises(PabulibFormatError) as raised:
        load_election(path, **options)
    return raised.value


def where(error: PabulibFormatError) -> tuple[str, int]:
    return error.section, error.line


def test_num_votes_must_match_the_rows_and_the_message_gives_both(tmp_path):
    error = refused(tmp_path, QUIRKY.replace("num_votes;4", "num_votes;5"))
    assert where(error) == ("META", 8)
    assert "num_votes says 5 but VOTES has 4 votes" in str(error)


def test_a_file_cut_at_a_line_boundary_is_refused(tmp_path):
    cut = QUIRKY.split("c;2,3,1")[0]
    assert "num_votes says 4 but VOTES has 2 votes" in str(refused(tmp_path, cut))


def test_num_projects_must_match_the_rows(tmp_path):
    error = refused(tmp_path, QUIRKY.replace("num_projects;3", "num_projects;2"))
    assert where(error) == ("META", 7)
    assert "num_projects says 2 but PROJECTS has 3 projects" in str(error)


def test_an_empty_votes_section_is_refused(tmp_path):
    text = QUIRKY.split("a;1,2")[0].replace("num_votes;4\r\n", "")
    error = refused(tmp_path, text)
    assert where(error) == ("VOTES", 17)
    assert "no votes" in str(error)


def test_a_file_that_is_not_utf8_is_refused_with_its_line_and_a_hint(tmp_path):
    data = QUIRKY.lstrip("\ufeff").replace("Plain", "Łąka").encode("cp1250")
    error = refused(tmp_path, data)
    assert where(error) == ("PROJECTS", 17)
    assert "--encoding cp1250" in str(error)


def test_a_file_is_read_in_the_encoding_the_caller_names(tmp_path):
    path = tmp_path / "cp1250.pb"
    path.write_bytes(QUIRKY.lstrip("\ufeff").replace("Plain", "Łąka").encode("cp1250"))
    assert load_election(path, encoding="cp1250").file.project_column("name")["3"] == "Łąka"
    assert read_pabulib(path, encoding="cp1250").projects[2][3] == "Łąka"
    assert recount(path, encoding="cp1250").selected == ("1", "2")
    with pytest.raises(PabulibFormatError, match="unknown encoding"):
        load_election(path, encoding="klingon")


def test_an_unterminated_quote_is_reported_where_it_opens(tmp_path):
    error = refused(tmp_path, QUIRKY.replace('"Park; with a fountain"', '"Park; with a fountain'))
    assert where(error) == ("PROJECTS", 15)
    assert "quote opens here" in str(error)


def test_a_missing_budget_and_an_empty_file_are_reported_with_a_line(tmp_path):
    error = refused(tmp_path, QUIRKY.replace("budget;1000.5\r\n", ""))
    assert where(error) == ("META", 1)
    assert "budget is missing" in str(error)
    assert where(refused(tmp_path, "")) == ("file", 1)
    assert where(refused(tmp_path, "\n\n  \n")) == ("file", 1)


def test_numbers_with_exponents_are_refused_not_computed(tmp_path):
    error = refused(tmp_path, QUIRKY.replace("3;700;1", "3;1e999999999;1"))
    assert where(error) == ("PROJECTS", 17) and "is not a number" in str(error)


VALID = QUIRKY.encode("utf-8")


@st.composite
def corrupted(draw) -> bytes:
    """Random bytes, or the valid file with bytes changed, cut, inserted or removed."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(("replace", "insert", "delete", "cut")))
        piece = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b";", b'"', b"\n", b","]))
        if action == "replace":
            data[at : at + len(piece)] = piece
        elif action == "insert":
            data[at:at] = piece
        elif action == "delete":
            del data[at : at + len(piece)]
        else:
            del data[at:]
    return bytes(data)


@settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(corrupted())
def test_whatever_the_bytes_only_the_engines_own_error_comes_out(tmp_path, data):
    path = tmp_path / "fuzz.pb"
    path.write_bytes(data)
    for read in (load_election, read_pabulib, recount):
        try:
            read(path)
        except TallyError as error:
            assert str(error)  # a message, never a traceback
