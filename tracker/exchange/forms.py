"""Forms of the import pages (CSRF through Flask-WTF, like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to import."))])
    format = SelectField(_l("Format"), default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.format.choices = [
            ("", _l("Tell from the file")),
            ("csv", _l("Canonical CSV")),
            ("xlsx", _l("Canonical columns in XLSX")),
            ("acled", _l("ACLED export (CSV or XLSX)")),
        ]


class ConfirmForm(FlaskForm):
    skip_invalid = BooleanField(_l("Leave out the rows with errors"))


class RerunForm(FlaskForm):
    """Runs a failed check or import again from its kept file (the CSRF token alone)."""


class DecisionForm(FlaskForm):
    """A reviewer's decision on a possible duplicate; the pressed button says which."""
