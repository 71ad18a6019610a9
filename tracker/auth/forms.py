"""Forms of the account pages: login, and API tokens (the user's own and the admin's)."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..models import User
from .tokens import NAME_LENGTH


class LoginForm(FlaskForm):
    # No syntax check: logging in only looks the address up (and demo accounts use .invalid).
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class NewTokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=NAME_LENGTH)],
        description=_l("What will use it, e.g. “partner dashboard”."),
    )


class TokenForAccountForm(NewTokenForm):
    """An admin makes a token for an active account, e.g. one set up for a partner's tool."""

    user_id = SelectField(_l("Account"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [
            (u.id, u.email) for u in db.session.scalars(sa.select(User).where(User.active).order_by(User.email))
        ]
