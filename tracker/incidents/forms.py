"""The incident form. Choices are filled per request so labels follow the user's language;
repeating rows (victims, perpetrators, sources, protection requests) are WTForms FieldLists
that the browser extends (static/js/rows.js)."""

from __future__ import annotations

from datetime import date
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import taxonomy as tx
from ..i18n import select_locale
from ..persons.service import by_key, key_problem, normalise_key
from .data import IncidentData, PerpetratorData, RequestData, SourceData, VictimData, point_problem

BLANK = ("", "—")


def _text(field) -> str:
    """A text field's value, trimmed; absent fields read as empty."""
    return (field.data or "").strip()


def _choices(terms) -> list[tuple[str, str]]:
    return tx.choices(terms, select_locale())


def _key(value):
    """A person's key as stored, whatever the case it was typed in (persons.service)."""
    return normalise_key(value) if isinstance(value, str) else value


class _RowForm(Form):
    """A repeating row; an entirely blank row is ignored rather than rejected."""

    KEY_FIELD = ""
    KEY_MISSING = _l("Choose one.")
    DEFAULTED: tuple[str, ...] = ()  # fields that always carry a value, so they don't count

    def is_blank(self) -> bool:
        return not any(
            field.data
            for name, field in self._fields.items()
            if name not in self.DEFAULTED and field.type != "BooleanField"
        )

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank():
            return True
        ok = super().validate(extra_validators)
        key = self[self.KEY_FIELD]
        if not key.data:
            key.errors = [*key.errors, self.KEY_MISSING]
            ok = False
        return ok


class VictimForm(_RowForm):
    KEY_FIELD = "group"
    DEFAULTED = ("count", "gender")
    group = SelectField(_l("Group"), validate_choice=True)
    count = IntegerField(
        _l("How many people"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Enter a number of at least 1."))],
    )
    gender = SelectField(_l("Gender"), default="unknown")
    name = StringField(_l("Name (restricted)"), validators=[Length(max=200)])
    organisation = StringField(_l("Organisation (restricted)"), validators=[Length(max=200)])
    indigenous = BooleanField(_l("Indigenous"))
    lgbtiq = BooleanField(_l("LGBTIQ+"))
    woman_defender = BooleanField(_l("Woman defender"))
    # Restricted like the name: a pseudonym, but it links the row to a record of the register
    person = StringField(
        _l("Person or organisation (key)"),
        filters=[_key],
        description=_l(
            "Optional. Type a name or a key (for example DEF-0042) to find a record of the register. "
            "A new key adds a record when you save."
        ),
        render_kw={"autocomplete": "off", "data-person-picker": ""},
    )

    ONE_PERSON = _l("A row linked to one person counts one person.")

    def fill_choices(self) -> None:
        self.group.choices = [BLANK, *_choices(tx.VICTIM_GROUPS)]
        self.gender.choices = _choices(tx.GENDERS)

    def validate_person(self, field):
        if field.data and (problem := key_problem(field.data)):
            raise ValidationError(problem)

    def validate_count(self, field):
        if (field.data or 1) > 1 and self._names_one_person():
            raise ValidationError(self.ONE_PERSON)

    def _names_one_person(self) -> bool:
        """Whether the row's key is a person's: a record's kind, after merges; for a new key,
        the kind the record saving it will create (an organisation for an organisation's group)."""
        key = self.person.data
        if not key or key_problem(key):
            return False
        found = by_key(key)
        if found is not None:
            return found.kind == "person"
        return self.group.data not in tx.ORGANISATION_GROUPS

    def to_data(self) -> VictimData:
        return VictimData(
            group=self.group.data,
            count=self.count.data or 1,
            gender=self.gender.data or "unknown",
            name=_text(self.name),
            organisation=_text(self.organisation),
            indigenous=self.indigenous.data,
            lgbtiq=self.lgbtiq.data,
            woman_defender=self.woman_defender.data,
            person=_key(_text(self.person)),
        )


class PerpetratorForm(_RowForm):
    KEY_FIELD = "type"
    DEFAULTED = ("involvement",)
    type = SelectField(_l("Type"))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    involvement = SelectField(_l("Involvement"), default="direct")

    def fill_choices(self) -> None:
        self.type.choices = [BLANK, *_choices(tx.PERPETRATOR_TYPES)]
        self.involvement.choices = _choices(tx.INVOLVEMENTS)

    def to_data(self) -> PerpetratorData:
        return PerpetratorData(type=self.type.data, name=_text(self.name), involvement=self.involvement.data)


class SourceForm(_RowForm):
    KEY_FIELD = "kind"
    DEFAULTED = ("reliability",)
    kind = SelectField(_l("Kind"))
    title = StringField(_l("Title"), validators=[Length(max=300)])
    url = StringField(
        _l("Link"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full web address starting with http:// or https://.")),
            Length(max=1000),
        ],
    )
    publisher = StringField(_l("Publisher"), validators=[Length(max=200)])
    published_on = DateField(_l("Published on"), validators=[Optional()])
    reliability = SelectField(_l("Reliability"), default="F")
    confidential = BooleanField(_l("Confidential"))

    def fill_choices(self) -> None:
        self.kind.choices = [BLANK, *_choices(tx.SOURCE_KINDS)]
        self.reliability.choices = _choices(tx.RELIABILITY)

    def to_data(self) -> SourceData:
        return SourceData(
            kind=self.kind.data,
            title=_text(self.title),
            url=_text(self.url),
            publisher=_text(self.publisher),
            published_on=self.published_on.data,
            reliability=self.reliability.data,
            confidential=self.confidential.data,
        )


class RequestForm(_RowForm):
    """A request for protection made after the incident, and the answer to it (restricted:
    it shows that someone asked for protection)."""

    KEY_FIELD = "filed_on"
    KEY_MISSING = _l("Enter the date the request was filed.")
    DEFAULTED = ("authority", "decision")
    filed_on = DateField(_l("Filed on"), validators=[Optional()])
    authority = SelectField(_l("Authority"), default="mechanism")
    reference = StringField(_l("Reference number (restricted)"), validators=[Length(max=200)])
    decision = SelectField(_l("Decision"), default="pending")
    decided_on = DateField(_l("Decided on"), validators=[Optional()])
    measures = SelectMultipleField(
        _l("Measures granted"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    measures_end = DateField(_l("Measures end on"), validators=[Optional()])
    notes = TextAreaField(_l("Notes (restricted)"), validators=[Length(max=5000)])

    # The row's rules across fields, whose messages the phone's check shows too (device_rules.py)
    CROSS_FIELD_MESSAGES = {
        "future": _l("This date is in the future."),
        "decided_before_filed": _l("The decision date is before the date the request was filed."),
        "pending_decided": _l("A pending request has no decision date: choose the decision, or clear the date."),
        "measures_not_granted": _l("Measures are recorded only for a granted request."),
        "end_not_granted": _l("An end date for measures goes only with a granted request."),
        "end_before_decided": _l("The measures end before the decision date."),
    }

    def fill_choices(self) -> None:
        self.authority.choices = _choices(tx.AUTHORITIES)
        self.decision.choices = _choices(tx.DECISIONS)
        self.measures.choices = _choices(tx.MEASURES)

    def _refuse(self, rule: str) -> NoReturn:
        raise ValidationError(self.CROSS_FIELD_MESSAGES[rule])

    def validate_filed_on(self, field):
        if field.data and field.data > date.today():
            self._refuse("future")

    def validate_decided_on(self, field):
        if not field.data:
            return
        if self.decision.data == "pending":
            self._refuse("pending_decided")
        if field.data > date.today():
            self._refuse("future")
        if self.filed_on.data and field.data < self.filed_on.data:
            self._refuse("decided_before_filed")

    def validate_measures(self, field):
        if field.data and self.decision.data != "granted":
            self._refuse("measures_not_granted")

    def validate_measures_end(self, field):  # the one date that may lie ahead
        if not field.data:
            return
        if self.decision.data != "granted":
            self._refuse("end_not_granted")
        if self.decided_on.data and field.data < self.decided_on.data:
            self._refuse("end_before_decided")

    def to_data(self) -> RequestData:
        return RequestData(
            filed_on=self.filed_on.data,
            authority=self.authority.data,
            reference=_text(self.reference),
            decision=self.decision.data,
            decided_on=self.decided_on.data,
            measures=list(dict.fromkeys(self.measures.data or [])),
            measures_end=self.measures_end.data,
            notes=_text(self.notes),
        )


def _count_field(label):
    return IntegerField(
        label, validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Enter 0 or a positive number."))]
    )


class IncidentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the incident a short title.")), Length(max=300)])
    description = TextAreaField(_l("What happened"), validators=[Length(max=20000)])
    date = DateField(
        _l("Date"), validators=[InputRequired(_l("Enter the date (or the first day of the week, month or year)."))]
    )
    date_precision = SelectField(_l("Date precision"), default="day")
    end_date = DateField(_l("End date"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90, message=_l("Latitude must be between -90 and 90."))],
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(min=-180, max=180, message=_l("Longitude must be between -180 and 180."))],
    )
    geo_precision = SelectField(_l("Location precision"), default="exact")
    country = StringField(_l("Country"), default="PE", validators=[DataRequired(), Length(min=2, max=2)])
    admin1 = StringField(_l("Department / region"), validators=[Length(max=120)])
    admin2 = StringField(_l("Province"), validators=[Length(max=120)])
    admin3 = StringField(_l("District"), validators=[Length(max=120)])
    violations = SelectMultipleField(_l("Violations"))
    victims = FieldList(FormField(VictimForm), label=_l("Victims"), min_entries=1)
    perpetrators = FieldList(FormField(PerpetratorForm), label=_l("Perpetrators"), min_entries=0)
    sources = FieldList(FormField(SourceForm), label=_l("Sources"), min_entries=1)
    requests = FieldList(FormField(RequestForm), label=_l("Protection requests"), min_entries=0)
    killed = _count_field(_l("Killed"))
    injured = _count_field(_l("Injured"))
    detained = _count_field(_l("Detained"))
    confidence = SelectField(_l("Confidence"), default="unknown")
    visibility = SelectField(_l("Who may see it"), default="internal")
    public_location = SelectField(_l("Location shown to the public"), default="admin1")
    consent = BooleanField(_l("The victims agreed to publication"))
    event = StringField(_l("Event (optional grouping)"), validators=[Length(max=200)])
    version = HiddenField()
    # After an edit conflict: the version the editor first started from (merge.py)
    merge_from = HiddenField()
    # Set by the phone as a new incident is saved, with the UUID of the sealed copy it keeps
    # until the incident is stored (static/js/offline/entry.js, receipts.py)
    client_uuid = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.date_precision.choices = _choices(tx.DATE_PRECISIONS)
        self.geo_precision.choices = _choices(tx.GEO_PRECISIONS)
        self.confidence.choices = _choices(tx.CONFIDENCES)
        self.visibility.choices = _choices(tx.VISIBILITIES)
        self.public_location.choices = _choices(tx.PUBLIC_LOCATIONS)
        self.violations.choices = [(code, term.label(select_locale())) for code, term in tx.VIOLATIONS.items()]
        for rows in (self.victims, self.perpetrators, self.sources, self.requests):
            for row in rows:
                row.form.fill_choices()

    # The form's own rules across fields, whose messages the phone's check shows too (device_rules.py)
    CROSS_FIELD_MESSAGES = {
        "end_before_start": _l("The end date is before the start date."),
        "one_coordinate": _l("Enter both latitude and longitude, or neither."),
        "swapped": _l("Latitude and longitude look swapped."),
        "outside": _l("This point is outside Peru. Check the coordinates."),
    }

    def validate_end_date(self, field):
        if field.data and self.date.data and field.data < self.date.data:
            raise ValidationError(self.CROSS_FIELD_MESSAGES["end_before_start"])

    def validate_longitude(self, field):
        lat, lon = self.latitude.data, field.data
        if (lat is None) != (lon is None):
            raise ValidationError(self.CROSS_FIELD_MESSAGES["one_coordinate"])
        problem = point_problem(lat, lon, _text(self.country)) if lat is not None else None
        if problem:
            raise ValidationError(self.CROSS_FIELD_MESSAGES[problem])

    def to_data(self) -> IncidentData:
        return IncidentData(
            title=_text(self.title),
            description=_text(self.description),
            date=self.date.data,
            date_precision=self.date_precision.data,
            end_date=self.end_date.data,
            place=_text(self.place),
            latitude=self.latitude.data,
            longitude=self.longitude.data,
            geo_precision=self.geo_precision.data,
            country=_text(self.country).upper() or "PE",
            admin1=_text(self.admin1),
            admin2=_text(self.admin2),
            admin3=_text(self.admin3),
            violations=list(self.violations.data),
            victims=[r.form.to_data() for r in self.victims if not r.form.is_blank()],
            perpetrators=[r.form.to_data() for r in self.perpetrators if not r.form.is_blank()],
            sources=[r.form.to_data() for r in self.sources if not r.form.is_blank()],
            requests=[r.form.to_data() for r in self.requests if not r.form.is_blank()],
            killed=self.killed.data,
            injured=self.injured.data,
            detained=self.detained.data,
            confidence=self.confidence.data,
            visibility=self.visibility.data,
            public_location=self.public_location.data,
            consent=self.consent.data,
            event=_text(self.event),
        )


class StatusForm(FlaskForm):
    # set by the button the reviewer presses, so not a hidden field (hidden_tag would add an empty one)
    to_status = StringField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)])
    version = HiddenField(validators=[DataRequired()])


def error_summary(form: IncidentForm) -> list[tuple[str, str, str]]:
    """(element id, field label, message) for every error, rows numbered ("Victims 2: Name"),
    for the summary at the top of the form that links to each field."""
    found = []
    for field in form:
        if field.type == "FieldList":
            found += [(f"{field.id}-block", field.label.text, str(m)) for m in field.errors if isinstance(m, str)]
            for number, entry in enumerate(field.entries, start=1):
                for sub in entry.form:
                    label = f"{field.label.text} {number}: {sub.label.text}"
                    found += [(sub.id, label, str(message)) for message in sub.errors]
        elif field.type not in ("HiddenField", "CSRFTokenField"):
            found += [(field.id, field.label.text, str(message)) for message in field.errors]
    return found


class RevisionForm(FlaskForm):
    """A reviewer's answer to changes proposed for a verified or published incident."""

    comment = TextAreaField(_l("Why (required to turn them down)"), validators=[Length(max=5000)])


def row_templates() -> dict[str, _RowForm]:
    """Blank rows the browser copies when the user adds a victim, perpetrator, source or request."""
    rows = {"victims": VictimForm, "perpetrators": PerpetratorForm, "sources": SourceForm, "requests": RequestForm}
    templates = {}
    for name, form_cls in rows.items():
        blank = form_cls(prefix=f"{name}-__index__-")
        blank.fill_choices()
        templates[name] = blank
    return templates


def initial_data(snapshot: dict) -> dict:
    """Form data from a stored snapshot (see service.snapshot): ISO dates back to dates."""

    def as_date(value):
        return date.fromisoformat(value) if value else None

    data = {**snapshot, "date": as_date(snapshot["date"]), "end_date": as_date(snapshot["end_date"])}
    data["sources"] = [{**s, "published_on": as_date(s["published_on"])} for s in snapshot["sources"]]
    data["requests"] = [  # versions saved before requests were recorded have none
        {**r, **{name: as_date(r[name]) for name in ("filed_on", "decided_on", "measures_end")}}
        for r in snapshot.get("requests", [])
    ]
    return data
