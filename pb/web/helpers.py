"""Small helpers the proposal, review, commission and admin blueprints share."""

from __future__ import annotations

from collections.abc import Callable

from flask.typing import ResponseReturnValue

# WTForms 3.3 has SelectChoice; its stubs (types-WTForms 3.2) do not know it yet.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from pb.core.errors import Forbidden, PBError
from pb.core.web_errors import show_refusal_with


def status_for(error: PBError) -> int:
    """The status a re-rendered form answers with: 409 for a closed phase or a clash, else 422."""
    if isinstance(error, Forbidden):
        return 403
    return error.http_status if error.http_status in (409, 422) else 422


def add_form_error(form, field: str | None, message: str) -> None:
    """Put a service's refusal at its field, or above the form when no field is at fault."""
    if hasattr(form, "add_error"):  # a form that places refusals itself (cost rows, summary)
        form.add_error(field, message)
        return
    target = getattr(form, field, None) if field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, message]
    else:
        form.form_errors.append(message)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


def refuse_into(
    form, render: Callable[[int], ResponseReturnValue], field: str | None = None
) -> None:
    """If the coming use case refuses, the one error map shows `form` again through
    `render(status)`, with the message at the field at fault (or at `field`, or above the form)."""

    def view(error: PBError) -> ResponseReturnValue:
        problems = getattr(error, "problems", None)
        if problems and hasattr(form, "add_problems"):  # a refusal that names every problem
            form.add_problems(problems)
        else:
            add_form_error(form, error.field or field, error.message)
        return render(status_for(error))

    show_refusal_with(view)
