"""The forms of the register of persons at risk. Choices are filled per request so labels follow
the user's language; the key is checked here in plain words, and whether another record has it
by the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from .. import taxonomy as tx
from ..i18n import select_locale
from .service import PersonData, key_problem, normalise_key

# A record's fields as its page, its history and the conflict note name them.
LABELS = {
    "key": _l("Key"),
    "kind": _l("Person or organisation"),
    "name": _l("Name (restricted)"),
    "groups": _l("Defender groups"),
    "gender": _l("Gender"),
    "indigenous": _l("Indigenous"),
    "woman_defender": _l("Woman defender"),
    "lgbtiq": _l("LGBTIQ+"),
    "community": _l("Community or organisation (restricted)"),
    "admin1": _l("Department"),
    "notes": _l("Notes (restricted)"),
}


def _text(field) -> str:
    return (field.data or "").strip()


class PersonForm(FlaskForm):
    """A record's fields but its key, which never changes once given (files and other
    incidents hold it)."""

    kind = SelectField(LABELS["kind"], default="person")
    name = StringField(LABELS["name"], validators=[Length(max=200)])
    groups = SelectMultipleField(LABELS["groups"])
    gender = SelectField(LABELS["gender"], default="unknown")
    indigenous = BooleanField(LABELS["indigenous"])
    woman_defender = BooleanField(LABELS["woman_defender"])
    lgbtiq = BooleanField(LABELS["lgbtiq"])
    community = StringField(LABELS["community"], validators=[Length(max=200)])
    admin1 = StringField(LABELS["admin1"], validators=[Length(max=120)])
    notes = TextAreaField(LABELS["notes"], validators=[Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = select_locale()
        self.kind.choices = tx.choices(tx.PERSON_KINDS, locale)
        self.groups.choices = tx.choices(tx.VICTIM_GROUPS, locale)
        self.gender.choices = tx.choices(tx.GENDERS, locale)

    def to_data(self, key: str) -> PersonData:
        return PersonData(
            key=key,
            name=_text(self.name),
            kind=self.kind.data,
            groups=list(dict.fromkeys(self.groups.data or [])),
            gender=self.gender.data or "unknown",
            indigenous=self.indigenous.data,
            woman_defender=self.woman_defender.data,
            lgbtiq=self.lgbtiq.data,
            community=_text(self.community),
            admin1=_text(self.admin1),
            notes=_text(self.notes),
        )


class NewPersonForm(PersonForm):
    key = StringField(
        LABELS["key"],
        validators=[DataRequired(_l("Give the record a key, for example DEF-0042.")), Length(max=60)],
    )

    def validate_key(self, field):
        field.data = normalise_key(field.data or "")
        if problem := key_problem(field.data):
            raise ValidationError(problem)


class EditPersonForm(PersonForm):
    # the version the editor opened: an edit made from an older one is refused (service.update_person)
    version = HiddenField(validators=[DataRequired()])


class MergeForm(FlaskForm):
    """A reviewer's choice of the record this one is merged into, by key (in the POST body: a
    key never goes into an address), confirmed on a second step."""

    into = StringField(
        _l("Key of the record to keep"),
        validators=[DataRequired(_l("Enter the key of the record to merge this one into.")), Length(max=60)],
    )
    confirmed = HiddenField()
