"""Language choice: the user's pick from the header switch, else the browser's, else Spanish."""

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale

from .taxonomy import Term


def select_locale() -> str:
    if not has_request_context():  # CLI and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def term_label(terms: dict[str, Term], code: str) -> str:
    """Label of a taxonomy code in the current language (Flask-Babel's, so a document written
    under `force_locale` gets its own language's labels); unknown codes are shown as they are."""
    term = terms.get(code)
    return term.label(str(get_locale() or select_locale())) if term else code
