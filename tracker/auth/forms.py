"""Forms of the account pages: login, second factor, passwords, and API tokens (the user's own
and the admin's)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from ..extensions import db
from ..models import User
from .tokens import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS, NAME_LENGTH


class LoginForm(FlaskForm):
    # No syntax check: logging in only looks the address up (and demo accounts use .invalid).
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class CodeForm(FlaskForm):
    """A code from the authenticator app (or, at login, a recovery code)."""

    code = StringField(_l("Code"), validators=[DataRequired(message=_l("Type the code."))])


class RemoveSecondFactorForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(message=_l("Type your password."))])


class NewPasswordForm(FlaskForm):
    """A new password, typed twice; the policy (passwords.py) is checked when it is set."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ: type it again.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=NAME_LENGTH)],
        description=_l("What will use it, e.g. “partner dashboard”."),
    )
    days = IntegerField(
        _l("Valid for (days)"),
        default=DEFAULT_LIFETIME_DAYS,
        # Left out of a request, it is the default.
        validators=[NumberRange(min=1, max=MAX_LIFETIME_DAYS, message=_l("Choose from 1 to %(max)d days."))],
        description=_l("It stops working after that; make a new one then."),
        render_kw={"min": 1, "max": MAX_LIFETIME_DAYS},
    )


class TokenForAccountForm(NewTokenForm):
    """An admin makes a token for an active account, e.g. one set up for a partner's tool."""

    user_id = SelectField(_l("Account"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [
            (u.id, u.email) for u in db.session.scalars(sa.select(User).where(User.active).order_by(User.email))
        ]
