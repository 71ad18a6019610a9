"""The codes in one place (docs/architecture.md, "Taxonomy"): violations by report section, victim groups,
perpetrator types and the small enumerations of the incident model.

Codes are stable identifiers stored in the database and in CSV files; labels are
translated (English, Spanish) and are only for display.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    en: str
    es: str

    def label(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en


@dataclass(frozen=True)
class Section:
    key: str
    en: str
    es: str
    codes: tuple[Term, ...]

    def label(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en


SECTIONS: tuple[Section, ...] = (
    Section(
        "1.1",
        "1.1 Freedom of association",
        "1.1 Libertad de asociación",
        (
            Term(
                "org_closure",
                "Dissolution or suspension of an organisation",
                "Disolución o suspensión de una organización",
            ),
            Term("org_registration_denied", "Registration denied", "Registro denegado"),
            Term(
                "org_admin_harassment",
                "Administrative harassment (audits, fines, APCI sanctions)",
                "Hostigamiento administrativo (auditorías, multas, sanciones de APCI)",
            ),
            Term("org_funding_restriction", "Funding restriction", "Restricción de financiamiento"),
            Term("org_raid", "Raid on an organisation", "Allanamiento de una organización"),
            Term("org_stigmatisation", "Stigmatisation of an organisation", "Estigmatización de una organización"),
        ),
    ),
    Section(
        "1.2",
        "1.2 Freedom of peaceful assembly",
        "1.2 Libertad de reunión pacífica",
        (
            Term(
                "protest_excessive_force",
                "Excessive force against protesters",
                "Uso excesivo de la fuerza contra manifestantes",
            ),
            Term("protest_dispersal", "Dispersal of a protest", "Dispersión de una protesta"),
            Term("protest_ban", "Ban on a protest", "Prohibición de una protesta"),
            Term("protest_detention", "Detention of protesters", "Detención de manifestantes"),
            Term("protest_killing", "Killing during a protest", "Muerte durante una protesta"),
            Term("protest_criminalisation", "Criminalisation of protest", "Criminalización de la protesta"),
        ),
    ),
    Section(
        "1.3",
        "1.3 Freedom of expression",
        "1.3 Libertad de expresión",
        (
            Term("journalist_attack", "Attack on a journalist", "Agresión a periodista"),
            Term("journalist_threat", "Threat against a journalist", "Amenaza a periodista"),
            Term("journalist_detention", "Detention of a journalist", "Detención de periodista"),
            Term("media_censorship", "Censorship", "Censura"),
            Term("media_closure", "Closure of a media outlet", "Cierre de un medio de comunicación"),
            Term("defamation_suit", "Defamation suit (incl. SLAPP)", "Demanda por difamación (incl. SLAPP)"),
            Term("online_harassment", "Online harassment", "Acoso en línea"),
            Term("surveillance", "Surveillance", "Vigilancia"),
            Term("internet_restriction", "Internet restriction", "Restricción de internet"),
            Term("data_leak", "Data leak", "Filtración de datos"),
        ),
    ),
    Section(
        "protection",
        "Protection of human rights defenders",
        "Protección de personas defensoras de derechos humanos",
        (
            Term("killing", "Killing", "Asesinato"),
            Term("attempted_killing", "Attempted killing", "Intento de asesinato"),
            Term("enforced_disappearance", "Enforced disappearance", "Desaparición forzada"),
            Term("torture", "Torture", "Tortura"),
            Term("physical_assault", "Physical assault", "Agresión física"),
            Term("sexual_violence", "Sexual violence", "Violencia sexual"),
            Term("threat", "Threat", "Amenaza"),
            Term("harassment", "Harassment", "Hostigamiento"),
            Term("arbitrary_detention", "Arbitrary detention", "Detención arbitraria"),
            Term("judicial_harassment", "Judicial harassment", "Hostigamiento judicial"),
            Term("smear_campaign", "Smear campaign", "Campaña de desprestigio"),
            Term("raid_home_office", "Raid on home or office", "Allanamiento de domicilio u oficina"),
            Term("travel_restriction", "Travel restriction", "Restricción de viaje"),
            Term("forced_displacement", "Forced displacement", "Desplazamiento forzado"),
        ),
    ),
)

SECTION_BY_KEY = {s.key: s for s in SECTIONS}
VIOLATIONS = {t.code: t for s in SECTIONS for t in s.codes}
SECTION_OF_VIOLATION = {t.code: s.key for s in SECTIONS for t in s.codes}

DEFENDER_GROUPS = frozenset(
    {
        "hrd",
        "environmental_defender",
        "land_defender",
        "indigenous_leader",
        "journalist",
        "media_worker",
        "trade_unionist",
        "lawyer",
        "cso_member",
        "community_leader",
        "lgbtiq_activist",
    }
)

VICTIM_GROUPS: dict[str, Term] = {
    t.code: t
    for t in (
        Term("hrd", "Human rights defender", "Persona defensora de derechos humanos"),
        Term("environmental_defender", "Environmental defender", "Defensor/a ambiental"),
        Term("land_defender", "Land defender", "Defensor/a de la tierra y el territorio"),
        Term("indigenous_leader", "Indigenous leader", "Líder/esa indígena"),
        Term("journalist", "Journalist", "Periodista"),
        Term("media_worker", "Media worker", "Trabajador/a de medios"),
        Term("trade_unionist", "Trade unionist", "Sindicalista"),
        Term("lawyer", "Lawyer", "Abogado/a"),
        Term("cso_member", "CSO member", "Integrante de organización de la sociedad civil"),
        Term("community_leader", "Community leader", "Líder/esa comunal"),
        Term("protester", "Protester", "Manifestante"),
        Term("student", "Student", "Estudiante"),
        Term("lgbtiq_activist", "LGBTIQ+ activist", "Activista LGBTIQ+"),
        Term("family_member", "Family member", "Familiar"),
        Term("organisation", "Organisation", "Organización"),
        Term("community", "Community", "Comunidad"),
        Term("other", "Other", "Otro"),
    )
}

PERPETRATOR_TYPES: dict[str, Term] = {
    t.code: t
    for t in (
        Term("police", "Police", "Policía"),
        Term("military", "Military", "Fuerzas Armadas"),
        Term("state_official", "State official", "Funcionario/a del Estado"),
        Term("judiciary", "Judiciary", "Poder Judicial / Fiscalía"),
        Term("legislature", "Legislature", "Congreso"),
        Term("private_security", "Private security", "Seguridad privada"),
        Term("company", "Company", "Empresa"),
        Term("illegal_mining", "Illegal mining", "Minería ilegal"),
        Term("illegal_logging", "Illegal logging", "Tala ilegal"),
        Term("drug_trafficking", "Drug trafficking", "Narcotráfico"),
        Term("armed_group", "Armed group", "Grupo armado"),
        Term("mob", "Mob", "Turba"),
        Term("individual", "Individual", "Persona particular"),
        Term("unknown", "Unknown", "Desconocido"),
    )
}


def _terms(*rows: tuple[str, str, str]) -> dict[str, Term]:
    return {code: Term(code, en, es) for code, en, es in rows}


GENDERS = _terms(
    ("female", "Female", "Femenino"),
    ("male", "Male", "Masculino"),
    ("non_binary", "Non-binary", "No binario"),
    ("unknown", "Unknown", "Desconocido"),
)
INVOLVEMENTS = _terms(
    ("direct", "Direct", "Directa"),
    ("ordered", "Ordered", "Ordenó"),
    ("acquiesced", "Acquiesced", "Consintió"),
    ("suspected", "Suspected", "Presunta"),
)
SOURCE_KINDS = _terms(
    ("media", "Media", "Medio de comunicación"),
    ("social_media", "Social media", "Redes sociales"),
    ("ngo_report", "NGO report", "Informe de ONG"),
    ("official", "Official document", "Documento oficial"),
    ("testimony", "Testimony", "Testimonio"),
    ("court_document", "Court document", "Documento judicial"),
    ("other", "Other", "Otro"),
)
RELIABILITY = _terms(
    ("A", "A – Completely reliable", "A – Totalmente confiable"),
    ("B", "B – Usually reliable", "B – Normalmente confiable"),
    ("C", "C – Fairly reliable", "C – Bastante confiable"),
    ("D", "D – Not usually reliable", "D – Normalmente no confiable"),
    ("E", "E – Unreliable", "E – No confiable"),
    ("F", "F – Reliability cannot be judged", "F – No se puede juzgar"),
)
DATE_PRECISIONS = _terms(
    ("day", "Day", "Día"), ("week", "Week", "Semana"), ("month", "Month", "Mes"), ("year", "Year", "Año")
)
GEO_PRECISIONS = _terms(
    ("exact", "Exact", "Exacta"), ("near", "Nearby", "Cercana"), ("region", "Region only", "Solo la región")
)
STATUSES = _terms(
    ("draft", "Draft", "Borrador"),
    ("submitted", "Submitted", "Enviado"),
    ("verified", "Verified", "Verificado"),
    ("published", "Published", "Publicado"),
    ("rejected", "Rejected", "Rechazado"),
)
CONFIDENCES = _terms(
    ("confirmed", "Confirmed", "Confirmado"),
    ("likely", "Likely", "Probable"),
    ("possible", "Possible", "Posible"),
    ("unknown", "Unknown", "Desconocido"),
)
VISIBILITIES = _terms(
    ("public", "Public", "Pública"), ("partners", "Partners", "Aliados"), ("internal", "Internal", "Interna")
)
PUBLIC_LOCATIONS = _terms(
    ("exact", "Exact point", "Punto exacto"),
    ("admin3", "District centre", "Centro del distrito"),
    ("admin2", "Province centre", "Centro de la provincia"),
    ("admin1", "Department centre", "Centro del departamento"),
    ("hidden", "Not shown", "No se muestra"),
)
ROLES = _terms(
    ("admin", "Administrator", "Administrador/a"),
    ("reviewer", "Reviewer", "Revisor/a"),
    ("monitor", "Monitor", "Monitor/a"),
    ("author", "Report author", "Autor/a de informes"),
    ("viewer", "Viewer (partner)", "Lector/a (aliado)"),
)

# Protection follow-up (docs/architecture.md, "Persons and protection"): who a request for
# protection went to, what was decided, and the measures granted. Seed 002 describes Peru's
# Intersectoral Mechanism (Decree 004-2021-JUS), the usual authority.
AUTHORITIES = _terms(
    ("mechanism", "Intersectoral Mechanism (MINJUSDH)", "Mecanismo Intersectorial (MINJUSDH)"),
    ("police", "Police", "Policía Nacional"),
    ("prosecutor", "Public prosecutor", "Ministerio Público"),
    ("ombudsman", "Ombudsman's Office", "Defensoría del Pueblo"),
    ("court", "Court", "Poder Judicial"),
    ("iachr", "Inter-American Commission (precautionary measures)", "CIDH (medidas cautelares)"),
    ("other", "Other authority", "Otra autoridad"),
)
DECISIONS = _terms(
    ("pending", "Pending", "Pendiente"), ("granted", "Granted", "Otorgada"), ("refused", "Refused", "Denegada")
)
MEASURES = _terms(
    ("police_patrols", "Police patrols", "Rondas policiales"),
    ("escort", "Personal escort", "Resguardo personal"),
    ("relocation", "Temporary relocation", "Reubicación temporal"),
    ("communication_equipment", "Communication equipment", "Equipos de comunicación"),
    ("emergency_line", "Emergency line", "Línea de emergencia"),
    ("psychological_support", "Psychological support", "Atención psicológica"),
    ("legal_aid", "Legal aid", "Asistencia legal"),
    ("security_infrastructure", "Security at home or office", "Seguridad en domicilio u oficina"),
    ("other", "Other", "Otra"),
)
# A record in the register of persons at risk: one person, or an organisation or community.
PERSON_KINDS = _terms(
    ("person", "Person", "Persona"), ("organisation", "Organisation or community", "Organización o comunidad")
)
# Victim groups whose new key makes an organisation rather than a person (the others: a person).
ORGANISATION_GROUPS = frozenset({"organisation", "community"})

# The statuses a report may cite by default (docs/architecture.md, "Counting rules").
REPORTABLE_STATUSES = ("verified", "published")


def section_codes(key: str) -> tuple[str, ...]:
    """Violation codes of one report section."""
    return tuple(t.code for t in SECTION_BY_KEY[key].codes)


def choices(terms: dict[str, Term], locale: str) -> list[tuple[str, str]]:
    """(code, label) pairs for a select field, in the taxonomy's order."""
    return [(code, term.label(locale)) for code, term in terms.items()]


def section_choices(locale: str) -> list[tuple[str, str]]:
    return [(s.key, s.label(locale)) for s in SECTIONS]


def violation_choices(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Violation choices grouped by section label, for grouped selects and checkboxes."""
    return {s.label(locale): [(t.code, t.label(locale)) for t in s.codes] for s in SECTIONS}
