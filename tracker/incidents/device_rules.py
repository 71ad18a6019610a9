"""The incident form's rules, read off its fields' validators, for the check the phone makes
before a record waits in its outbox (static/js/offline/validate.js): what waits is what the
server will accept, and a rule changed here changes there."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from wtforms import DateField, FloatField, IntegerField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange

from .data import PERU_BOUNDS
from .forms import IncidentForm, row_templates

SKIPPED = ("HiddenField", "CSRFTokenField", "FieldList", "SelectField", "SelectMultipleField", "BooleanField")


def _field_rules(field) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    if isinstance(field, DateField):
        rules["date"] = _("Enter a date as year-month-day.")
    elif isinstance(field, IntegerField):
        rules["integer"] = _("Enter a whole number.")
    elif isinstance(field, FloatField):
        rules["number"] = _("Enter a number.")
    for validator in field.validators:
        if isinstance(validator, DataRequired | InputRequired):
            rules["required"] = str(validator.message or _("Fill this in."))
        elif isinstance(validator, Length):
            rules["min_length"], rules["max_length"] = validator.min, validator.max
            rules["length"] = (
                _("Exactly %(n)d characters.", n=validator.max)
                if validator.min == validator.max
                else _("At most %(n)d characters.", n=validator.max)
            )
        elif isinstance(validator, NumberRange):
            rules["min"], rules["max"] = validator.min, validator.max
            rules["range"] = str(validator.message or _("Out of range."))
        elif isinstance(validator, URL):
            rules["url"] = str(validator.message)
    return rules


def _form_rules(form) -> dict[str, dict[str, Any]]:
    return {field.short_name: rules for field in form if field.type not in SKIPPED if (rules := _field_rules(field))}


def device_rules(form: IncidentForm) -> dict[str, Any]:
    """Per field: required, date, number, length, range and web address rules, with their
    messages; per repeating row: the field it needs, those that always carry a value and the
    rules across its fields (a protection request's dates and decision); the rules across the
    form's fields (dates in order, both coordinates, points in Peru)."""
    return {
        "fields": _form_rules(form),
        "rows": {
            kind: {
                "key": row.KEY_FIELD,
                "key_missing": str(row.KEY_MISSING),
                "defaulted": list(row.DEFAULTED),
                "fields": _form_rules(row),
                "cross": {name: str(message) for name, message in getattr(row, "CROSS_FIELD_MESSAGES", {}).items()},
            }
            for kind, row in row_templates().items()
        },
        "cross": {name: str(message) for name, message in IncidentForm.CROSS_FIELD_MESSAGES.items()},
        "bounds": {"country": "PE", **PERU_BOUNDS},
    }
