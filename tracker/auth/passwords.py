"""The password policy (NIST SP 800-63B): 12 to 128 characters, no composition rules, refused
when it is one of the 10,000 most common passwords or zxcvbn finds it easy to guess."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from flask_babel import gettext as _
from zxcvbn import zxcvbn

from ..errors import ServiceError

MIN_LENGTH = 12
MAX_LENGTH = 128  # argon2 takes more, but past this it is a paste gone wrong or an attempt to slow the server
MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable: moderate protection from offline slow-hash attacks"
# zxcvbn's own limit: it takes 0.04 s for 72 characters, 0.6 s for 128. The first 72 characters of
# a longer password being hard to guess is enough.
SCORED_LENGTH = 72


@cache
def common_passwords() -> frozenset[str]:
    """tracker/data/common-passwords.txt (made by scripts/common_passwords.py), in lower case."""
    text = files("tracker").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.lower() for line in text.splitlines() if line and not line.startswith("#"))


def hint() -> str:
    return _(
        "At least %(min)d characters. Several unrelated words make a password that is easy to remember "
        "and hard to guess; no symbols or digits needed.",
        min=MIN_LENGTH,
    )


def check_new_password(password: str, email: str = "", name: str = "") -> None:
    """Raise ServiceError saying what is wrong with `password` as someone's new password."""
    if len(password) < MIN_LENGTH:
        raise ServiceError(_("The password must have at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise ServiceError(_("The password may have at most %(n)d characters.", n=MAX_LENGTH))
    if password.lower() in common_passwords():
        raise ServiceError(
            _("This is one of the most common passwords, so it is among the first ones tried. Choose another.")
        )
    # The account's own email and name are what an attacker tries first, too.
    if zxcvbn(password[:SCORED_LENGTH], user_inputs=[email, *email.split("@"), *name.split()])["score"] < MIN_SCORE:
        raise ServiceError(
            _(
                "This password is too easy to guess (for example a word with a few digits, a keyboard pattern, "
                "a date or your own name or email). Add more words, unrelated to each other and to you."
            )
        )
