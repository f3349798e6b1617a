"""National ID numbers (PESEL, rodné číslo), contacts and the voter key: vectors and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pb.voting import identity
from pb.voting.identity import IdProblem, InvalidIdNumber

TODAY = date(2026, 11, 24)

VALID_PESEL = ["44051401359", "02211307589", "00222955504"]
INVALID_PESEL = ["44051401358", "02381307589"]
VALID_RC = ["7103192745", "8562045580", "0427013488", "1075211236", "7801230020"]
INVALID_RC = ["7103192746", "1103492745", "590312123"]


@pytest.mark.parametrize("number", VALID_PESEL)
def test_the_issues_valid_pesel_numbers_pass(number):
    assert identity.parse_pesel(number, TODAY).number == number


@pytest.mark.parametrize("number", INVALID_PESEL)
def test_the_issues_invalid_pesel_numbers_fail(number):
    with pytest.raises(InvalidIdNumber):
        identity.parse_pesel(number, TODAY)


@pytest.mark.parametrize("number", VALID_RC)
def test_the_issues_valid_birth_numbers_pass(number):
    assert identity.parse_rodne_cislo(number, TODAY).number == number


@pytest.mark.parametrize("number", INVALID_RC)
def test_the_issues_invalid_birth_numbers_fail(number):
    with pytest.raises(InvalidIdNumber):
        identity.parse_rodne_cislo(number, TODAY)


def test_pesel_dates_and_sex_come_from_the_number():
    assert identity.parse_pesel("44051401359").birth_date == date(1944, 5, 14)
    assert identity.parse_pesel("02211307589").birth_date == date(2002, 1, 13)
    leap = identity.parse_pesel("00222955504")
    assert leap.birth_date == date(2000, 2, 29) and leap.female


def test_birth_number_dates_follow_the_month_offsets():
    assert identity.parse_rodne_cislo("710319/2745").birth_date == date(1971, 3, 19)
    woman = identity.parse_rodne_cislo("8562045580")
    assert woman.birth_date == date(1985, 12, 4) and woman.female  # +50
    assert identity.parse_rodne_cislo("0427013488").birth_date == date(2004, 7, 1)  # +20
    extra_woman = identity.parse_rodne_cislo("1075211236")
    assert extra_woman.birth_date == date(2010, 5, 21) and extra_woman.female  # +70


def test_the_mod_11_exception_holds_only_until_1985():
    assert 780123002 % 11 == 10
    assert identity.parse_rodne_cislo("7801230020").birth_date == date(1978, 1, 23)
    # The same shape in 1986 is no longer allowed.
    first_nine = next(n for n in range(860101000, 860101999) if n % 11 == 10)
    with pytest.raises(InvalidIdNumber) as refused:
        identity.parse_rodne_cislo(f"{first_nine}0")
    assert refused.value.problem == IdProblem.CHECKSUM


def test_nine_digit_birth_numbers_are_for_people_born_before_1954():
    assert identity.parse_rodne_cislo("530101123").birth_date == date(1953, 1, 1)
    with pytest.raises(InvalidIdNumber) as refused:
        identity.parse_rodne_cislo("590312123")
    assert refused.value.problem == IdProblem.FORMAT


def test_the_plus_20_series_is_refused_before_2004():
    first_nine = "992101123"  # 1999, month 21
    check = int(first_nine) % 11
    assert check != 10
    with pytest.raises(InvalidIdNumber) as refused:
        identity.parse_rodne_cislo(first_nine + str(check))
    assert refused.value.problem == IdProblem.DATE


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(InvalidIdNumber) as refused:
        identity.parse_pesel(pesel_for(date(2030, 1, 1), 1234), TODAY)
    assert refused.value.problem == IdProblem.DATE


@pytest.mark.parametrize("text", ["", "abc", "123", "7103192745123", "٧١٠٣١٩٢٧٤٥"])
def test_malformed_numbers_say_it_is_the_format(text):
    with pytest.raises(InvalidIdNumber) as refused:
        identity.parse_rodne_cislo(text)
    assert refused.value.problem == IdProblem.FORMAT


# --- generators: numbers built from a date by the published rules -------------------------------

PESEL_OFFSETS = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}


def pesel_for(born: date, serial: int) -> str:
    offset = PESEL_OFFSETS[born.year // 100 * 100]
    head = f"{born.year % 100:02d}{born.month + offset:02d}{born.day:02d}{serial:04d}"
    return head + str(identity.pesel_check_digit(head))


def birth_number_for(born: date, female: bool, serial: int) -> str | None:
    month = born.month + (50 if female else 0)
    first_nine = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial:03d}"
    remainder = int(first_nine) % 11
    if remainder == 10:
        return None
    return first_nine + str(remainder)


dates_1954_on = st.dates(min_value=date(1954, 1, 1), max_value=TODAY)


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2299, 12, 31)), st.integers(0, 9999))
def test_every_pesel_built_from_a_date_parses_back_to_it(born, serial):
    parsed = identity.parse_pesel(pesel_for(born, serial))
    assert parsed.birth_date == born
    assert parsed.female == (serial % 10 % 2 == 0)


@given(
    st.dates(min_value=date(1800, 1, 1), max_value=date(2299, 12, 31)),
    st.integers(0, 9999),
    st.integers(0, 10),
    st.integers(1, 9),
)
def test_changing_any_one_digit_of_a_pesel_makes_it_invalid(born, serial, position, shift):
    number = pesel_for(born, serial)
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    with pytest.raises(InvalidIdNumber):
        identity.parse_pesel("".join(digits))


@given(dates_1954_on, st.booleans(), st.integers(0, 999))
def test_every_birth_number_built_from_a_date_parses_back_to_it(born, female, serial):
    number = birth_number_for(born, female, serial)
    assume(number is not None)
    parsed = identity.parse_rodne_cislo(number, TODAY)
    assert parsed.birth_date == born and parsed.female == female
    assert int(number) % 11 == 0


@given(st.dates(min_value=date(2004, 1, 1), max_value=TODAY), st.booleans(), st.integers(0, 999))
def test_the_extra_month_series_from_2004_gives_the_same_date(born, female, serial):
    month = born.month + (70 if female else 20)
    first_nine = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial:03d}"
    remainder = int(first_nine) % 11
    assume(remainder != 10)
    parsed = identity.parse_rodne_cislo(first_nine + str(remainder), TODAY)
    assert parsed.birth_date == born and parsed.female == female


@given(dates_1954_on, st.booleans(), st.integers(0, 999), st.integers(0, 9), st.integers(1, 9))
def test_one_changed_digit_breaks_a_birth_number_unless_the_mod_11_exception_fits(
    born, female, serial, position, shift
):
    number = birth_number_for(born, female, serial)
    assume(number is not None)
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    changed = "".join(digits)
    try:
        parsed = identity.parse_rodne_cislo(changed, TODAY)
    except InvalidIdNumber:
        return
    # Only the pre-1986 exception can accept it: first nine digits leave 10, the last is 0.
    assert int(changed[:9]) % 11 == 10 and changed[9] == "0"
    assert parsed.birth_date.year <= 1985


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(1953, 12, 31)), st.integers(0, 999))
def test_nine_digit_numbers_before_1954_need_no_check_digit(born, serial):
    number = f"{born.year % 100:02d}{born.month:02d}{born.day:02d}{serial:03d}"
    assert identity.parse_rodne_cislo(number, TODAY).birth_date == born


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(0, 40_000))
def test_age_is_completed_years(born, days_later):
    day = born + timedelta(days=days_later)
    age = identity.age_on(born, day)
    assert age >= 0
    # One more year is completed exactly on the birthday (1 March for 29 February).
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:
        birthday = date(born.year + age, 3, 1)
    assert birthday <= day


@pytest.mark.parametrize(
    "typed",
    ["+420 601 234 567", "00420601234567", "601 234 567", "601-234-567", "(+420) 601234567"],
)
def test_one_phone_number_written_many_ways_gives_one_key(typed):
    key = identity.voter_key("pepper", identity.contact_key_material(typed, "420")[1])
    assert key == identity.voter_key("pepper", "phone:+420601234567")


def test_e_mails_are_compared_without_case_or_spaces():
    assert identity.contact_key_material(" Jana@Example.CZ ")[1] == "email:jana@example.cz"
    with pytest.raises(identity.InvalidContact):
        identity.normalise_email("not an address")


def test_the_voter_key_needs_the_pepper_and_names_the_scheme():
    rc = identity.parse_rodne_cislo("7103192745")
    key = identity.voter_key("pepper", rc.key_material)
    assert len(key) == 64 and key != identity.voter_key("other", rc.key_material)
    assert identity.voter_key("pepper", "rc:710319/2745".replace("/", "")) == key
    assert identity.voter_key("pepper", "pesel:7103192745") != key


@given(st.binary(max_size=100), st.text(max_size=40))
def test_the_fast_keyer_is_exactly_hmac_sha256(pepper, material):
    import hashlib
    import hmac

    expected = hmac.digest(pepper, material.encode("utf-8"), hashlib.sha256).hex()
    assert identity.Keyer(pepper)(material) == expected
