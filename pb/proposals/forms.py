"""Forms of the residents' side: the proposal with its cost rows, attachments, the appeal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pb.proposals.operations import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    ITEM_NAME_MAX,
    MAX_AMOUNT,
    MAX_COST_ITEMS,
    SUMMARY_MAX,
    TITLE_MAX,
    CostLine,
    ProposalInput,
)
from pb.web.form_support import TranslatedMeta
from pb.web.forms import BaseForm, BaseSubForm

BLANK_COST_ROWS = 3  # blank rows offered below the filled ones; "add a row" offers more


class CostItemForm(BaseSubForm):
    """One row of the cost estimate; a row left blank is ignored."""

    Meta = TranslatedMeta

    name = StringField(_l("Item"), validators=[Optional(), Length(max=ITEM_NAME_MAX)])
    amount = IntegerField(
        _l("Amount"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_AMOUNT, message=_l("Give a whole amount above zero.")),
        ],
    )

    def is_blank(self) -> bool:
        return (
            not (self.name.data or "").strip()
            and self.amount.data is None
            and not (self.amount.raw_data and self.amount.raw_data[0].strip())
        )


class ProposalForm(BaseForm):
    creation_key = HiddenField()
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the proposal a title.")), Length(max=TITLE_MAX)],
    )
    category = SelectField(_l("Project group"), coerce=str, validators=[Optional()])
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=SUMMARY_MAX)],
        description=_l("One or two sentences that appear in the list of proposals."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=_l("What should be done, why, and who will benefit."),
    )
    district = SelectField(_l("District"), coerce=str, validators=[Optional()])
    address = StringField(
        _l("Place"),
        validators=[Optional(), Length(max=ADDRESS_MAX)],
        description=_l("Street, park or building where the project would be."),
    )
    latitude = DecimalField(
        _l("Latitude (optional)"),
        places=None,
        validators=[Optional(), NumberRange(min=-90, max=90)],
        description=_l("For example 50.7671"),
        render_kw={"data-error-anchor": "place-map"},
    )
    longitude = DecimalField(
        _l("Longitude (optional)"),
        places=None,
        validators=[Optional(), NumberRange(min=-180, max=180)],
        description=_l("For example 15.0562"),
        render_kw={"data-error-anchor": "place-map"},
    )
    cost_items = FieldList(FormField(CostItemForm), min_entries=1, max_entries=MAX_COST_ITEMS)
    consent_to_publication = BooleanField(
        _l("I agree that the proposal, including my name as its author, is published on this site.")
    )
    add_row = SubmitField(_l("Add a cost row"))
    save = SubmitField(_l("Save"))
    send = SubmitField(_l("Save and submit"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.extra_errors: dict[str, list[str]] = {}

    def add_cost_row(self) -> None:
        """One more blank row, up to the most a proposal may have."""
        if len(self.cost_items) < MAX_COST_ITEMS:
            self.cost_items.append_entry()

    def pad_cost_rows(self, blank: int = BLANK_COST_ROWS) -> None:
        """Offer blank rows to fill, so that the list grows without JavaScript."""
        filled = sum(1 for entry in self.cost_items if not entry.form.is_blank())
        while len(self.cost_items) < min(filled + blank, MAX_COST_ITEMS):
            self.cost_items.append_entry()

    def cost_lines(self) -> tuple[CostLine, ...] | None:
        """The filled rows; None (with the errors at the rows) when a row is half filled."""
        lines, complete = [], True
        self.filled_lines: tuple[CostLine, ...] = ()
        for entry in self.cost_items:
            row = entry.form
            if row.is_blank():
                continue
            name = (row.name.data or "").strip()
            if row.amount.data is None:
                if not row.amount.errors:
                    row.amount.errors = [*row.amount.errors, str(_l("Give the amount."))]
                complete = False
                continue
            if not name:
                row.name.errors = [*row.name.errors, str(_l("Name the item."))]
                complete = False
                continue
            lines.append(CostLine(name, int(row.amount.data)))
        self.filled_lines = tuple(lines)
        return tuple(lines) if complete else None

    def to_input(self, lines: tuple[CostLine, ...]) -> ProposalInput:
        def number(value: str | None) -> int | None:
            # Read also from a refused form, to flag every field at once: an id, never "²" or a
            # number wider than the database's (the lookup with it failed, a 500).
            if value and value.isascii() and value.isdigit() and len(value) < 10:
                return int(value)
            return None

        return ProposalInput(
            title=self.title.data or "",
            category_id=number(self.category.data),
            summary=self.summary.data or "",
            description=self.description.data or "",
            district_id=number(self.district.data),
            address=self.address.data or "",
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            cost_items=lines,
            consent_to_publication=bool(self.consent_to_publication.data),
        )

    def fill_from(self, data: ProposalInput) -> None:
        self.title.data = data.title
        self.category.data = str(data.category_id or "")
        self.summary.data = data.summary
        self.description.data = data.description
        self.district.data = str(data.district_id or "")
        self.address.data = data.address
        self.latitude.data = data.latitude
        self.longitude.data = data.longitude
        self.consent_to_publication.data = data.consent_to_publication
        while len(self.cost_items):
            self.cost_items.pop_entry()
        for line in data.cost_items:
            self.cost_items.append_entry({"name": line.name, "amount": line.amount})

    def add_error(self, field: str | None, message: str) -> None:
        """A refusal from the service, shown at its field (or above the form)."""
        target = getattr(self, field, None) if field else None
        if field == "cost_items" or target is None or isinstance(target, FieldList):
            key = field if field == "cost_items" else "_form"
            self.extra_errors.setdefault(key, []).append(message)
            return
        target.errors = [*target.errors, message]

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        """The service's refusals, each at its field, unless the field is already flagged."""
        for field, message in problems:
            target = getattr(self, field, None)
            if field == "cost_items":
                row_errors = any(
                    sub.errors
                    for entry in self.cost_items
                    for sub in (entry.form.name, entry.form.amount)
                )
                if not row_errors and message not in self.extra_errors.get("cost_items", []):
                    self.add_error(field, message)
            elif target is not None and hasattr(target, "errors") and not target.errors:
                self.add_error(field, message)
            elif target is None:
                self.add_error(None, message)

    def error_list(self) -> list[tuple[str, str]]:
        """(anchor, message) pairs for the summary at the top of the form."""
        found = [("", m) for m in self.extra_errors.get("_form", [])]
        for name in (
            "title",
            "category",
            "summary",
            "description",
            "district",
            "address",
            "latitude",
            "longitude",
        ):
            field = getattr(self, name)
            # the place is kept in hidden inputs: its errors link to the map around them
            anchor = (field.render_kw or {}).get("data-error-anchor", field.id)
            found += [(anchor, str(m)) for m in field.errors]
        found += [("cost-items", m) for m in self.extra_errors.get("cost_items", [])]
        for entry in self.cost_items:
            for sub in (entry.form.name, entry.form.amount):
                found += [(sub.id, str(m)) for m in sub.errors]
        found += [
            (self.consent_to_publication.id, str(m)) for m in self.consent_to_publication.errors
        ]
        return found


class AttachmentForm(BaseForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(message=_l("Choose a file to attach."))],
        description=_l("Images (PNG, JPEG, WebP) or PDF documents."),
    )


class AppealForm(BaseForm):
    reason = TextAreaField(
        _l("Why should the decision change?"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "Answer the reviewers' justification: what is wrong in it, or what has changed since."
        ),
    )
