from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from .. import taxonomy as tx
from ..i18n import select_locale
from ..security import MIN_PASSWORD_LENGTH


class _RoleForm(FlaskForm):
    role = SelectField(_l("Role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = tx.choices(tx.ROLES, select_locale())


class NewUserForm(_RoleForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(_l("Enter a valid email address."))])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    password = PasswordField(
        _l("Initial password"),
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)),
        ],
    )


class RoleForm(_RoleForm):
    pass
