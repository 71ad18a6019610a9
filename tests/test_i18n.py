"""Spanish and English interface: the language choice, and a Spanish catalogue that keeps up
with the code.

The catalogue tests fail when someone adds an English string (gettext, _(), _l(), ngettext(),
{% trans %}) without translating it. To fix such a failure, see "Adding a translation" in CONTRIBUTING.md:
extract, `pybabel update`, translate the new entries, compile.

Fresh clones: `make test` compiles translations/*/LC_MESSAGES/messages.mo first (Makefile
target `translations`). A bare `pytest` works too: the session fixture below compiles any
missing or outdated .mo before the first test of this module.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.support import make_app, schema_created
from tracker import create_app
from tracker.config import PROJECT_ROOT
from tracker.extensions import babel

TRANSLATIONS = PROJECT_ROOT / "translations"
PRODUCTION_DEFAULT = "es"
SPANISH_PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
# The same options as the extraction command in CONTRIBUTING.md ("Adding a translation").
EXTRACT_OPTIONS = ["-F", str(PROJECT_ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext"]
HOW_TO_FIX = (
    "Update the catalogue: mkdir -p build && pybabel extract -F babel.cfg -k _l -k lazy_gettext "
    "-o build/messages.pot . && pybabel update -i build/messages.pot -d translations, "
    "translate the new entries in translations/es/LC_MESSAGES/messages.po, then "
    "pybabel compile -d translations (see CONTRIBUTING.md, 'Adding a translation')."
)


def compile_catalog(po_path: Path) -> Path:
    """messages.po -> messages.mo, as `pybabel compile` does, unless the .mo is up to date.
    Written to a temporary name and renamed, so parallel test runs never read half a file."""
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        return mo_path
    with po_path.open("rb") as f:
        catalog = read_po(f)
    tmp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        write_mo(f, catalog)  # fuzzy entries are left out, as by pybabel compile
    os.replace(tmp, mo_path)
    return mo_path


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    for po_path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        compile_catalog(po_path)
    # Flask-Babel caches loaded catalogues per process; drop anything loaded before the .mo
    # existed (by tests of other modules that ran first).
    if "domain_instance" in vars(babel):
        babel.domain_instance.cache.clear()


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_mo(f) if path.suffix == ".mo" else read_po(f)


def entries(catalog):
    return [message for message in catalog if message.id]


def translations_of(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the current code, extracted like CONTRIBUTING.md says, into a temp dir."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    status = CommandLineInterface().run(
        ["pybabel", "-q", "extract", *EXTRACT_OPTIONS, "-o", str(pot), str(PROJECT_ROOT)]
    )
    assert status in (0, None), "pybabel extract failed"
    catalog = read_catalog(pot)
    assert len(entries(catalog)) > 100, "extraction found suspiciously few messages: check babel.cfg"
    return catalog


# --- The catalogue ------------------------------------------------------------------------


def test_spanish_po_is_fully_translated():
    catalog = read_catalog(SPANISH_PO)
    assert str(catalog.locale) == "es"
    assert catalog.num_plurals == 2
    assert not catalog.fuzzy, "remove '#, fuzzy' from the header of messages.po"
    problems = []
    for message in entries(catalog):
        if message.fuzzy:
            problems.append(f"fuzzy (check it, then remove the '#, fuzzy' line): {message.id!r}")
        strings = translations_of(message)
        if not all(s.strip() for s in strings):
            problems.append(f"not translated: {message.id!r}")
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(f"needs {catalog.num_plurals} plural forms: {message.id!r}")
        problems.extend(f"{message.id!r}: {error}" for error in message.check(catalog))
    assert not problems, "\n".join(problems)


def test_every_string_in_the_code_is_in_the_spanish_po(extracted):
    catalog = read_catalog(SPANISH_PO)
    missing = [message.id for message in entries(extracted) if catalog.get(message.id, message.context) is None]
    assert not missing, f"Strings not in messages.po: {missing}\n{HOW_TO_FIX}"


def test_compiled_catalogue_translates_every_string_in_the_code(extracted):
    compiled = read_catalog(compile_catalog(SPANISH_PO))
    untranslated = []
    for message in entries(extracted):
        translated = compiled.get(message.id, message.context)
        if translated is None or not all(translations_of(translated)):
            untranslated.append(message.id)
    assert not untranslated, f"No Spanish in the compiled catalogue for: {untranslated}\n{HOW_TO_FIX}"


def test_placeholders_survive_translation(extracted):
    """%(ref)s and friends must appear in the Spanish text exactly as in the English."""
    catalog = read_catalog(SPANISH_PO)
    placeholder = re.compile(r"%\(\w+\)[sdif]")
    wrong = []
    for message in entries(extracted):
        translated = catalog.get(message.id, message.context)
        if translated is None:
            continue  # reported by the test above
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(placeholder.findall(" ".join(ids)))
        for text in translations_of(translated):
            if text and set(placeholder.findall(text)) != expected:
                wrong.append(f"{message.id!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


# --- The pages ----------------------------------------------------------------------------


@pytest.fixture
def app(database_url, tmp_path):
    """conftest's app, but with the production default language, Spanish (conftest's
    make_app makes English the default so that other tests can assert on English text)."""
    with schema_created(make_app(database_url, tmp_path / "instance", BABEL_DEFAULT_LOCALE=PRODUCTION_DEFAULT)) as app:
        yield app


def test_production_default_language_is_spanish(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}"}
    )
    assert app.config["BABEL_DEFAULT_LOCALE"] == PRODUCTION_DEFAULT
    assert PRODUCTION_DEFAULT in app.config["LANGUAGES"] and "en" in app.config["LANGUAGES"]


def test_login_page_is_in_spanish_by_default(client):
    page = client.get("/auth/login").text
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page
    assert "Correo electrónico" in page and "Contraseña" in page
    assert "Log in" not in page


def test_language_switch_changes_the_page_and_returns_to_it(client):
    response = client.post("/language", data={"lang": "en", "next": "/auth/login"})
    assert response.status_code == 302
    assert response.location == "/auth/login"
    page = client.get(response.location).text
    assert '<html lang="en">' in page
    assert "Log in" in page and "Password" in page
    assert "Iniciar sesión" not in page

    page = client.post("/language", data={"lang": "es", "next": "/auth/login"}, follow_redirects=True).text
    assert "Iniciar sesión" in page


def test_unknown_language_is_ignored(client):
    page = client.post("/language", data={"lang": "fr", "next": "/auth/login"}, follow_redirects=True).text
    assert "Iniciar sesión" in page


def test_browser_language_applies_until_the_user_chooses(client):
    english_browser = {"Accept-Language": "en-GB,en;q=0.9"}
    assert "Log in" in client.get("/auth/login", headers=english_browser).text
    assert "Iniciar sesión" in client.get("/auth/login", headers={"Accept-Language": "fr"}).text
    client.post("/language", data={"lang": "es", "next": "/auth/login"})
    assert "Iniciar sesión" in client.get("/auth/login", headers=english_browser).text


def test_incident_form_in_spanish_has_spanish_labels_and_taxonomy(client, auth):
    auth.login("monitor")
    response = client.get("/incidents/new")
    assert response.status_code == 200
    page = response.text
    assert "Registrar un incidente" in page and "Cerrar sesión" in page
    for label in (
        "Título",
        "Fecha",
        "Departamento / región",
        "Provincia",
        "Distrito",
        "Víctimas",
        "Presuntos responsables",
        "Fuentes",
        "Guardar borrador",
    ):
        assert label in page, label
    # Taxonomy labels (tracker/taxonomy.py) follow the same language.
    assert re.search(r'value="threat"[^>]*>\s*Amenaza\s*<', page)
    assert "1.1 Libertad de asociación" in page
    assert ">Periodista<" in page  # victim group
    assert ">Minería ilegal<" in page  # perpetrator type
    for english in ("Record an incident", "Title", "Victims", ">Threat<", "Journalist"):
        assert english not in page, english


def test_incident_form_in_english_after_switching(client, auth):
    auth.login("monitor")
    client.post("/language", data={"lang": "en", "next": "/incidents/new"})
    page = client.get("/incidents/new").text
    assert "Record an incident" in page and "Title" in page and "Province" in page
    assert re.search(r'value="threat"[^>]*>\s*Threat\s*<', page)
    assert "Amenaza" not in page and "Registrar un incidente" not in page


def test_validation_messages_and_plurals_are_in_spanish(client, auth):
    auth.login("monitor")
    page = client.post("/incidents/new", data={"save": "1"}).text
    assert "Escriba un título breve para el incidente." in page  # lazy_gettext in a validator
    assert "Algunos campos requieren atención." in page
    assert re.search(r"\b0 incidentes\b", client.get("/incidents/").text)  # ngettext
