from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from .. import taxonomy as tx
from ..auth.passwords import check_new_password
from ..errors import ServiceError
from ..i18n import select_locale


def _acceptable_password(form, field) -> None:
    """The password policy's refusal under the password field, where the admin looks for it."""
    try:
        check_new_password(field.data, form.email.data or "", form.name.data or "")
    except ServiceError as exc:
        raise ValidationError(str(exc)) from None


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
        validators=[DataRequired(), _acceptable_password],
    )


class RoleForm(_RoleForm):
    pass
