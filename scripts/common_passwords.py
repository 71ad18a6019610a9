"""Write tracker/data/common-passwords.txt: the 10,000 most common passwords of zxcvbn's ranked
"passwords" frequency list, which tracker/auth/passwords.py refuses. Run
`.venv/bin/python scripts/common_passwords.py` after upgrading zxcvbn.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

COUNT = 10_000
TARGET = Path(__file__).resolve().parent.parent / "tracker" / "data" / "common-passwords.txt"


def main() -> None:
    header = [
        f"# The {COUNT:,} most common passwords, most common first: the first entries of the ranked",
        f'# "passwords" frequency list of the zxcvbn package {version("zxcvbn")} (PyPI,',
        "# github.com/dwolfhub/zxcvbn-python, a port of Dropbox's zxcvbn), MIT License, Copyright (c) 2016",
        "# Daniel Wolf and (c) 2012-2016 Dan Wheeler and Dropbox, Inc. Made by scripts/common_passwords.py;",
        "# do not edit by hand.",
    ]
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text("\n".join(header + FREQUENCY_LISTS["passwords"][:COUNT]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
