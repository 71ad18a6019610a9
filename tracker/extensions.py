"""Flask extensions, created without an app and bound in `create_app` (microblog style),
so blueprints and models import them without circular imports."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The base class of the models. `db.Model` is made at run time (Base with Flask-SQLAlchemy's
# Model mixin), so a type checker cannot take it as a base class: it is told what it is.
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    class Model(_FlaskModel, Base):
        __abstract__ = True

else:
    Model = db.Model


def conflict_insert(table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for the session's database that takes ON CONFLICT … (each database's own
    syntax; both have it, with RETURNING)."""
    dialect = db.session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Only the routes that ask for a limit have one (the API, issuing tokens); storage and limits
# come from the app's config (RATELIMIT_*, API_RATE_LIMIT).
limiter = Limiter(key_func=get_remote_address)
