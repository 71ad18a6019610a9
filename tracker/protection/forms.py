from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length


class AcknowledgeForm(FlaskForm):
    """One alert's acknowledgement: its key (ids only) and what was done, in the POST body."""

    alert_key = HiddenField(validators=[DataRequired(), Length(max=200)])
    comment = TextAreaField(
        _l("What was done"),
        validators=[
            DataRequired(_l("Say what was done about this alert: the comment is required.")),
            Length(max=4000),
        ],
    )
