"""Results in words and pictures: the engine's reasons translated, the budget bar, turnout labels.

The tally engine explains each project with a reason code and its numbers; its English `text`
is for the command line. Pages, the CSV and the commission's preview say the same in the
reader's language from the code and the numbers (money formatted as money, counts as counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import format_decimal, format_percent, format_time, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pb.core.i18n import format_money
from pb.editions.models import TallyRule
from pb.results.counting import decode_number
from pb.web.labels import TALLY_RULE_LABELS

REASONS = {
    "selected": _l(
        "Funded: it fitted in the %(remaining_before)s that was left; %(remaining_after)s "
        "remained after it."
    ),
    "equal_shares_bought": _l(
        "Funded in round %(round)s of equal shares: its %(supporters)s supporters paid "
        "%(price_per_supporter)s each."
    ),
    "selected_free": _l("Funded: it costs nothing and %(supporters)s voters support it."),
    "greedy_fill_selected": _l(
        "Funded from the money equal shares left over: it fitted in the %(remaining_before)s "
        "that was left; %(remaining_after)s remained after it."
    ),
    "did_not_fit": _l("Not funded: it costs %(cost)s, more than the %(remaining)s that was left."),
    "stopped_no_skip": _l(
        "Not funded: funding stopped at proposal No. %(stopped_at)s, which did not fit in the "
        "%(remaining)s that was left."
    ),
    "below_threshold": _l(
        "Not funded: its score of %(score)s is below the minimum of %(threshold)s."
    ),
    "more_minus_than_plus": _l(
        "Not funded: it got more minus votes (%(minus)s) than plus votes (%(plus)s)."
    ),
    "withdrawn": _l("Not funded: withdrawn from the count."),
    "no_supporters": _l("Not funded: no voter supported it."),
    "supporters_cannot_afford": _l(
        "Not funded: in round %(round)s of equal shares its %(supporters)s supporters had "
        "%(supporters_money)s left between them, less than its cost of %(cost)s."
    ),
    "add1_voter_budget": _l(
        "Equal shares ran with %(voter_budget)s per voter (%(virtual_budget)s in all), reached "
        "in %(steps)s steps of raising it; the outcome is the last one that fits the budget of "
        "%(budget)s."
    ),
    "comparison_kept_equal_shares": _l(
        "The equal-shares outcome was kept: %(prefer_equal_shares)s voters prefer it and "
        "%(prefer_greedy)s prefer funding by votes."
    ),
    "comparison_chose_greedy": _l(
        "Funding by votes was chosen instead: %(prefer_greedy)s voters prefer it and only "
        "%(prefer_equal_shares)s prefer the equal-shares outcome."
    ),
}

MONEY_VALUES = {
    "remaining_before",
    "remaining_after",
    "cost",
    "remaining",
    "price_per_supporter",
    "supporters_money",
    "voter_budget",
    "virtual_budget",
    "budget",
}

TIE_BREAK_WORDS = {
    "lower-cost": _l("the cheaper project first"),
    "more-supporters": _l("then the one with more supporters"),
    "project-id": _l("then the lower proposal number"),
    "listed-order": _l("then the lower proposal number"),
    "lottery": _l("then a draw from the published seed"),
    "more-top-ranks": _l("the project ranked first more often"),
}

CHANNEL_LABELS = {
    "online": _l("Online"),
    "paper": _l("On paper"),
}

REFUSAL_LABELS = {
    "id_invalid": _l("Personal number not valid"),
    "too_young": _l("Younger than the minimum age"),
    "too_old": _l("Age not plausible"),
    "district_invalid": _l("District not valid"),
    "no_declaration": _l("Residence not declared"),
    "not_in_registry": _l("Not in the register of residents"),
    "contact_invalid": _l("Phone number or e-mail not valid"),
    "birth_date_missing": _l("Birth date missing"),
    "code_expired": _l("Confirmation code expired"),
    "code_wrong": _l("Confirmation code wrong"),
    "already_voted": _l("Already voted"),
    "ballot_rule": _l("Ballot broke a rule"),
    "phase_closed": _l("Voting not open"),
    "factor_missing": _l("Identity card number or access code missing"),
    "factor_wrong": _l("Identity card number or access code wrong"),
    "contact_used": _l("Phone or e-mail already confirmed another declaration"),
    "account_other_person": _l("Account already verified as another person"),
    "person_other_account": _l("Person already verified through another account"),
    "eid_failed": _l("eID sign-in failed or cancelled"),
    "eid_no_id": _l("eID gave no valid ID number"),
    "eid_not_in_registry": _l("eID identity not in the register of residents"),
    "eid_not_accepted": _l("eID not accepted in this edition"),
}


def amount(value: int | Fraction | str, currency: str) -> str:
    """Money: whole units as the city writes them; a fraction to two decimals."""
    value = decode_number(value)
    if isinstance(value, Fraction) and value.denominator != 1:
        rounded = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        whole = format_money(0, currency)
        number = format_decimal(rounded, format="#,##0.00")
        return whole.replace("0", number, 1)
    return format_money(int(value), currency)


def number(value: int | Fraction | str) -> str:
    value = decode_number(value)
    if isinstance(value, Fraction) and value.denominator != 1:
        return format_decimal(float(value), format="#,##0.##")
    if isinstance(value, str):
        return value
    return format_decimal(int(value))


def clock(value) -> str:
    """A time of day in the city's time zone, e.g. 20:05."""
    return format_time(value, "short")


def percent(part: int, whole: int | None) -> str:
    """A share with one decimal, written the local way: "3.6%", "3,6 %"."""
    if not whole:
        return ""
    pattern = get_locale().percent_formats[None].pattern
    last = pattern.rfind("0")
    return format_percent(part / whole, format=pattern[: last + 1] + ".0" + pattern[last + 1 :])


def reason_text(reason: dict, currency: str) -> str:
    """A project's (or a note's) reason in the reader's language."""
    code = reason["code"]
    template = REASONS.get(code)
    if template is None:  # a code newer than this page: the engine's own English
        return reason.get("text", code)
    values = {}
    for name, value in reason["values"].items():
        if name in MONEY_VALUES:
            values[name] = amount(value, currency)
        elif name in ("stopped_at", "funded"):
            values[name] = str(int(value)) if str(value).isdigit() else value
        else:
            values[name] = number(value)
    text = str(template) % values
    if code == "equal_shares_bought" and "paying_full_price" in reason["values"]:
        poorer = int(reason["values"]["supporters"]) - int(reason["values"]["paying_full_price"])
        if poorer:
            text += " " + ngettext(
                "%(num)d of them had less left and paid all they had.",
                "%(num)d of them had less left and paid all they had.",
                poorer,
            )
    return text


REASONS.update(
    {
        "funded_from_reserve": _l(
            "Funded from the reserve: %(left_percent)s%% of its cost was left (%(remaining)s of "
            "%(cost)s); the first project that does not fit is funded from the reserve when at "
            "least %(reserve_percent)s%% of its cost is left. Counting stops here."
        ),
        "exclusive_with_funded": _l(
            "Not funded: it cannot be carried out together with proposal No. %(funded)s, which "
            "was funded first."
        ),
        "ordinal_points_written": _l(
            "Ranked ballots, points by rank: %(points)s (first rank first); a project's score is "
            "the sum of its points."
        ),
        "ordinal_points_set": _l(
            "Ranked ballots, points by rank: %(points)s (first rank first); a project's score is "
            "the sum of its points."
        ),
        "ordinal_points_borda": _l(
            "Ranked ballots, points by rank: %(points)s (first rank first); a project's score is "
            "the sum of its points."
        ),
        "ordinal_points_per_ballot": _l(
            "Ranked ballots: each of the %(ballots)s distinct ballots gives its own points by "
            "rank; a project's score is the sum of its points."
        ),
    }
)


def points_by_rank(group: dict) -> list[int]:
    """A ranked group's points by rank, from the snapshot's ballot settings."""
    if group.get("ballot_rule") != "ranked":
        return []
    text = group.get("ballot_parameters", {}).get("rank_points") or ""
    return [int(p) for p in text.split(",") if p.strip()]


def reserve_projects(group: dict) -> list[dict]:
    """Projects funded from the reserve, apart from those funded within the budget."""
    return [p for p in group["projects"] if p.get("funded_from_reserve")]


def tie_break_text(group: dict) -> str:
    words = [str(TIE_BREAK_WORDS.get(c, c)) for c in group["tie_break"]]
    if "project-id" not in group["tie_break"] and "listed-order" not in group["tie_break"]:
        words.append(str(TIE_BREAK_WORDS["project-id"]))
    return ", ".join(words)


def rule_text(group: dict) -> str:
    try:
        return str(TALLY_RULE_LABELS[TallyRule(group["rule"])])
    except ValueError:
        return group["rule"]


def group_name(group: dict) -> str:
    """The group's name in the reader's language when the city gave one, else the city's own.

    English readers get `name_en`. Slovak and Polish readers get a `name_sk`/`name_pl` when a
    snapshot carries one, else the city's Czech name, never the English one: Slovaks read Czech
    as easily as their own language, and Poles (the demo city borders Poland) read Czech
    names far better than English ones; they are also the names on the city's signs and papers,
    and the same rule `localized()` applies to every other name the city gives."""
    lang = str(get_locale() or "cs")
    if lang != "cs" and group.get(f"name_{lang}"):
        return group[f"name_{lang}"]
    return group["name"]


def is_plus_minus(group: dict) -> bool:
    return group["ballot_rule"] == "plus_minus"


# --- the budget bar ------------------------------------------------------------------------------

BAR_WIDTH = 1000
PALETTE_SIZE = 30  # the .bar-seg-N colours in static/css/site.css


@dataclass(frozen=True)
class BarSegment:
    label: str
    number: int | None  # the proposal number; None for the money left
    amount: int
    x: float
    width: float
    css: str
    share: str


def budget_bar(group: dict) -> list[BarSegment]:
    """What each funded project takes of the group's budget, in funding order, then what is left.

    Coordinates are in a 0-1000 wide SVG viewBox; the same numbers fill the table under it.
    """
    budget = group["budget"]
    by_id = {p["id"]: p for p in group["projects"]}
    segments = []
    x = 0.0
    for index, project_id in enumerate(group["selected"]):
        project = by_id[project_id]
        width = BAR_WIDTH * project["cost"] / budget if budget else 0
        segments.append(
            BarSegment(
                project["title"],
                project["number"],
                project["cost"],
                round(x, 2),
                round(width, 2),
                f"bar-seg-{index % PALETTE_SIZE}",
                percent(project["cost"], budget),
            )
        )
        x += width
    left = group["money_left"]
    segments.append(
        BarSegment(
            _("Left unspent"),
            None,
            left,
            round(x, 2),
            round(BAR_WIDTH - x, 2),
            "bar-left",
            percent(left, budget),
        )
    )
    return segments


# --- turnout cells --------------------------------------------------------------------------------


def _age_label(keys: list[str]) -> str:
    bands = [k for k in keys if k != "unknown"]
    unknown = "unknown" in keys
    if not bands:
        return _("Age not stated")
    low = bands[0].split("-")[0]
    high = bands[-1].split("-")[1]
    text = _("%(low)s and older", low=low) if not high else f"{low}\u2013{high}"
    return _("%(band)s, or age not stated", band=text) if unknown else text


def cell_label(kind: str, cell: dict) -> str:
    keys = cell["keys"]
    if kind == "age":
        return _age_label(keys)
    if kind == "channel":
        named = [str(CHANNEL_LABELS.get(k, k)) for k in keys if k != "other"]
        return " + ".join(named)
    names = []
    for key, name in zip([k for k in keys if k != "other"], cell.get("names", []), strict=False):
        names.append(name or (_("District not stated") if key == "unknown" else key))
    if keys and keys[0] == "other":
        return _("Other districts (%(names)s)", names=", ".join(names))
    return ", ".join(names)


def turnout_rows(kind: str, cells: list[dict], voters: int) -> list[dict]:
    """Table rows: label, voters, share of all voters, residents and turnout (when known)."""
    rows = []
    biggest = max((c["voters"] for c in cells), default=0)
    for cell in cells:
        rows.append(
            {
                "label": cell_label(kind, cell),
                "merged": len([k for k in cell["keys"] if k != "other"]) > 1,
                "voters": cell["voters"],
                "share": percent(cell["voters"], voters),
                "registry": cell["registry"],
                "turnout": percent(cell["voters"], cell["registry"]) if cell["registry"] else "",
                "bar": round(100 * cell["voters"] / biggest, 2) if biggest else 0,
            }
        )
    return rows
