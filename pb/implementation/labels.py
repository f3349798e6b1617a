"""Words for implementation statuses, money outcomes and history entries, translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from pb.implementation.models import ImplementationStatus, MoneyOutcome

IMPLEMENTATION_LABELS = {
    ImplementationStatus.PLANNED: _l("Planned"),
    ImplementationStatus.DESIGN: _l("Being designed"),
    ImplementationStatus.PROCUREMENT: _l("Contractor being chosen"),
    ImplementationStatus.CONSTRUCTION: _l("Under construction"),
    ImplementationStatus.DONE: _l("Done"),
    ImplementationStatus.NOT_FEASIBLE: _l("Cannot be built"),
}

MONEY_OUTCOME_LABELS = {
    MoneyOutcome.NEXT_PROJECT: _l("The next project of the group by votes is funded instead."),
    MoneyOutcome.NEXT_EDITION: _l("The money goes to the next edition's budget."),
    MoneyOutcome.RETURNED: _l("The money returns to the city's budget."),
}

HISTORY_LABELS = {
    "implementation.open": _l("Implementation tracking started"),
    "implementation.assign": _l("Department responsible assigned"),
    "implementation.update": _l("Status or money updated"),
    "implementation.milestone": _l("Milestone recorded"),
    "implementation.photo": _l("Photo added"),
    "implementation.photo_remove": _l("Photo removed"),
}

FIELD_LABELS = {
    "status": _l("Status"),
    "planned_cost": _l("Planned cost"),
    "spent": _l("Spent so far"),
    "expected_completion": _l("Expected completion"),
    "actual_completion": _l("Completed on"),
    "not_feasible_reason": _l("Why it cannot be built"),
    "money_outcome": _l("What happens to the money"),
    "department": _l("Department"),
}

# Map colours per status, also used for the list's badges (the list says the same in words).
STATUS_COLOURS = {
    ImplementationStatus.PLANNED: "#5b6b7f",
    ImplementationStatus.DESIGN: "#6a3d9a",
    ImplementationStatus.PROCUREMENT: "#a65c00",
    ImplementationStatus.CONSTRUCTION: "#0b4f8a",
    ImplementationStatus.DONE: "#1d6b35",
    ImplementationStatus.NOT_FEASIBLE: "#9f1d20",
}


def template_labels() -> dict:
    return {
        "IMPLEMENTATION_LABELS": IMPLEMENTATION_LABELS,
        "MONEY_OUTCOME_LABELS": MONEY_OUTCOME_LABELS,
        "HISTORY_LABELS": HISTORY_LABELS,
        "IMPLEMENTATION_FIELD_LABELS": FIELD_LABELS,
        "IMPLEMENTATION_COLOURS": STATUS_COLOURS,
    }
