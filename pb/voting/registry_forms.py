from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from pb.web.forms import BaseForm


class RegistryUploadForm(BaseForm):
    edition = SelectField(_l("Edition"), coerce=int, validate_choice=True)
    file = FileField(
        _l("Register of residents (CSV)"),
        validators=[FileRequired()],
        description=_l(
            "One resident a line: birth number or PESEL, birth date, district. UTF-8, comma or "
            "semicolon separated, an optional header line. The import replaces the edition's "
            "register; a faulty line stops it and nothing changes."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )
