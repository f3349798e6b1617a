"""The administrator's upload of the register of residents (the CLI does the same)."""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from pb.accounts.decorators import role_required
from pb.accounts.models import Role
from pb.core import clock
from pb.core.errors import NotFound, PBError
from pb.core.extensions import db
from pb.core.i18n import localized
from pb.core.web_errors import show_refusal_with
from pb.editions.models import Edition, EligibilityPolicy
from pb.voting import registry
from pb.voting.models import VoterRegistryEntry
from pb.voting.registry_forms import RegistryUploadForm
from pb.web.navigation import NavItem, register_nav

bp = Blueprint("registry", __name__, url_prefix="/registry")

register_nav(NavItem("registry.upload", _l("Register of residents"), roles=(Role.ADMIN,), order=70))

# A million residents are about 30 MB of CSV; the upload is read as a stream from a temporary file.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def upload():
    request.max_content_length = MAX_UPLOAD_BYTES
    editions = list(
        db.session.scalars(
            select(Edition)
            .where(Edition.eligibility_policy == EligibilityPolicy.REGISTRY)
            .order_by(Edition.voting_starts_at.desc())
        )
    )
    sizes = dict(
        db.session.execute(
            select(VoterRegistryEntry.edition_id, func.count()).group_by(
                VoterRegistryEntry.edition_id
            )
        ).all()
    )
    form = RegistryUploadForm()
    form.edition.choices = [(e.id, localized(e, "name")) for e in editions]

    def page(status: int):
        return render_template(
            "registry/upload.html", form=form, editions=editions, sizes=sizes
        ), status

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    stream = io.TextIOWrapper(form.file.data.stream, encoding="utf-8-sig", newline="")

    def refused(error: PBError):
        form.file.errors.append(error.message + " " + _("Nothing was imported."))
        return page(422)

    show_refusal_with(refused, not_found=True)
    edition = db.session.get(Edition, form.edition.data)
    if edition is None:  # the form listed it, and it was deleted since
        raise NotFound(_("There is no such edition."))
    try:
        report = registry.import_registry(
            edition, stream, actor=current_user._get_current_object(), now=clock.now()
        )
    except UnicodeDecodeError:  # not a refusal of the register: the file's bytes (422 rolls back)
        form.file.errors.append(
            _("The file is not UTF-8 text; save it as CSV UTF-8 and try again.")
        )
        return page(422)
    flash(
        _(
            "Imported %(n)d residents into %(edition)s; the register before had %(old)d.",
            n=report.residents,
            edition=localized(edition, "name"),
            old=report.replaced,
        ),
        "success",
    )
    return redirect(url_for("registry.upload"))
