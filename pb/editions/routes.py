"""Administration: editions' settings and schedule, project groups, criteria, and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pb.accounts.decorators import role_required
from pb.accounts.forms import EmptyForm
from pb.accounts.models import Role
from pb.audit import chain as audit
from pb.core import clock
from pb.core.errors import PBError
from pb.core.i18n import localized
from pb.core.web_errors import show_refusal_with
from pb.editions import operations as admin_service
from pb.editions import queries as editions_service
from pb.editions.forms import CategoryForm, CriterionForm, EditionForm, NewEditionForm, ShiftForm
from pb.editions.models import Edition, Phase
from pb.proposals import operations as proposals_service
from pb.web.helpers import add_form_error, options, refuse_into, status_for
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("admin", __name__, url_prefix="/admin")

register_nav(NavItem("admin.index", _l("Administration"), roles=(Role.ADMIN,), order=60))


def _edition(slug: str) -> Edition:
    # An unknown edition is a NotFound, which the one error map answers with the 404 page.
    return admin_service.get_edition(slug)


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return render_template(
        "admin/index.html",
        editions=editions_service.list_editions(),
        chain=audit.verify_chain(),
        now=clock.now(),
    )


# --- an edition ----------------------------------------------------------------------------------


def _render_edition(edition: Edition, form: EditionForm, shift_form: ShiftForm, status=200):
    return (
        render_template(
            "admin/edition.html",
            edition=edition,
            form=form,
            shift_form=shift_form,
            now=clock.now(),
        ),
        status,
    )


@bp.route("/editions/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_edition():
    form = NewEditionForm()
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if not form.is_submitted():
        return _render_new_edition(form, zone)
    if not form.validate():
        return _render_new_edition(form, zone, 422)
    refuse_into(form, lambda status: _render_new_edition(form, zone, status))
    created = admin_service.create_edition(
        current_user, form.slug.data or "", form.settings(zone), zone, clock.now()
    )
    flash(_("The edition is created. Now add its project groups and criteria."), "success")
    return redirect(url_for("admin.edition", slug=created.slug), 303)


def _render_new_edition(form: NewEditionForm, zone: str, status=200):
    return render_template("admin/new_edition.html", form=form, zone=zone), status


@bp.route("/editions/<slug>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edition(slug: str):
    found = _edition(slug)
    form = EditionForm()
    shift_form = ShiftForm(formdata=None)
    if not form.is_submitted():
        form.fill_from(admin_service.EditionSettings.of(found), found.timezone)
        return _render_edition(found, form, shift_form)
    if not form.validate():
        return _render_edition(found, form, shift_form, 422)
    refuse_into(form, lambda status: _render_edition(found, form, shift_form, status))
    admin_service.update_edition(current_user, found, form.settings(found.timezone), clock.now())
    flash(_("The edition is saved."), "success")
    return redirect(url_for("admin.edition", slug=found.slug), 303)


@bp.post("/editions/<slug>/shift")
@role_required(Role.ADMIN)
def shift(slug: str):
    found = _edition(slug)
    shift_form = ShiftForm()
    if shift_form.validate_on_submit() and not shift_form.confirm.data:
        add_form_error(
            shift_form, "confirm", _("Tick the box to confirm that the schedule should move.")
        )
    elif shift_form.validate_on_submit():
        # A refused move is shown on the edition's page like an invalid one: always 422.
        refuse_into(shift_form, lambda status: _render_shift(found, shift_form), field="phase")
        admin_service.shift_schedule(current_user, found, Phase(shift_form.phase.data), clock.now())
        flash(
            _(
                "The schedule is moved: %(phase)s starts now.",
                phase=shift_form.phase_label(),
            ),
            "success",
        )
        return redirect(url_for("admin.edition", slug=found.slug), 303)
    return _render_shift(found, shift_form)


def _render_shift(edition: Edition, shift_form: ShiftForm):
    """The edition's page again, its settings as saved and the refused schedule move in error."""
    form = EditionForm(formdata=None)
    form.fill_from(admin_service.EditionSettings.of(edition), edition.timezone)
    return _render_edition(edition, form, shift_form, 422)


# --- project groups ------------------------------------------------------------------------------


def _district_choices(form: CategoryForm) -> None:
    form.district_id.choices = options(
        [("", _("Everyone in the city"))]
        + [(str(d.id), d.name) for d in proposals_service.districts()]
    )


def _render_category(edition, category, form, status=200, delete_error=None):
    return (
        render_template(
            "admin/category.html",
            edition=edition,
            category=category,
            form=form,
            delete_error=delete_error,
        ),
        status,
    )


@bp.route("/editions/<slug>/groups/new", methods=["GET", "POST"])
@bp.route("/editions/<slug>/groups/<int:category_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def category(slug: str, category_id: int | None = None):
    found = _edition(slug)
    existing = None
    if category_id is not None:
        existing = admin_service.get_category(found, category_id)
    form = CategoryForm()
    _district_choices(form)
    if not form.is_submitted():
        if existing is not None:
            form.fill_from(admin_service.CategoryInput.of(existing))
        else:
            form.position.data = len(found.categories)
            form.min_choices.data = 1
        return _render_category(found, existing, form)
    if not form.validate():
        return _render_category(found, existing, form, 422)
    refuse_into(form, lambda status: _render_category(found, existing, form, status))
    saved = admin_service.save_category(
        current_user, found, existing, form.category_input(), clock.now()
    )
    flash(_("The group “%(name)s” is saved.", name=localized(saved, "name")), "success")
    return redirect(url_for("admin.edition", slug=found.slug) + "#groups", 303)


@bp.post("/editions/<slug>/groups/<int:category_id>/delete")
@role_required(Role.ADMIN)
def delete_category(slug: str, category_id: int):
    found = _edition(slug)
    existing = admin_service.get_category(found, category_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = localized(existing, "name")

    def refused(error: PBError):
        form = CategoryForm(formdata=None)
        _district_choices(form)
        form.fill_from(admin_service.CategoryInput.of(existing))
        return _render_category(
            found, existing, form, status_for(error), delete_error=error.message
        )

    show_refusal_with(refused)
    admin_service.delete_category(current_user, found, existing, clock.now())
    flash(_("The group “%(name)s” is removed.", name=name), "success")
    return redirect(url_for("admin.edition", slug=found.slug) + "#groups", 303)


# --- criteria ------------------------------------------------------------------------------------


def _render_criteria(edition, form, status=200, delete_error=None):
    return (
        render_template(
            "admin/criteria.html",
            edition=edition,
            form=form,
            button_form=EmptyForm(),
            delete_error=delete_error,
        ),
        status,
    )


@bp.route("/editions/<slug>/criteria", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def criteria(slug: str):
    found = _edition(slug)
    form = CriterionForm()
    if not form.is_submitted():
        form.position.data = len(found.criteria)
        return _render_criteria(found, form)
    if not form.validate():
        return _render_criteria(found, form, 422)
    refuse_into(form, lambda status: _render_criteria(found, form, status))
    admin_service.save_criterion(current_user, found, None, form.criterion_input(), clock.now())
    flash(_("The criterion is added."), "success")
    return redirect(url_for("admin.criteria", slug=found.slug), 303)


@bp.route("/editions/<slug>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def criterion(slug: str, criterion_id: int):
    found = _edition(slug)
    existing = admin_service.get_criterion(found, criterion_id)
    form = CriterionForm(obj=existing if request.method == "GET" else None)

    def render(status: int = 200):
        return (
            render_template("admin/criterion.html", edition=found, criterion=existing, form=form),
            status,
        )

    if not form.is_submitted():
        return render()
    if not form.validate():
        return render(422)
    refuse_into(form, render)
    admin_service.save_criterion(current_user, found, existing, form.criterion_input(), clock.now())
    flash(_("The criterion is saved."), "success")
    return redirect(url_for("admin.criteria", slug=found.slug), 303)


@bp.post("/editions/<slug>/criteria/<int:criterion_id>/delete")
@role_required(Role.ADMIN)
def delete_criterion(slug: str, criterion_id: int):
    found = _edition(slug)
    existing = admin_service.get_criterion(found, criterion_id)
    if not EmptyForm().validate_on_submit():
        abort(400)

    def refused(error: PBError):
        form = CriterionForm(formdata=None)
        form.position.data = len(found.criteria)
        return _render_criteria(found, form, status_for(error), delete_error=error.message)

    show_refusal_with(refused)
    admin_service.delete_criterion(current_user, found, existing, clock.now())
    flash(_("The criterion is removed."), "success")
    return redirect(url_for("admin.criteria", slug=found.slug), 303)


# --- the audit log -------------------------------------------------------------------------------


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    from pb.web import audit_view

    wanted = audit_view.filter_from(request.args)
    return render_template(
        "admin/audit.html",
        page=audit_view.audit_rows(wanted),
        wanted=wanted,
        choices=audit_view.filter_choices(),
        chain=audit.verify_chain(),
    )
