"""The `tracker` console script (also `python -m tracker`): Flask's command group over a fresh
app, so every command of tracker/cli.py and of the feature packages is there."""

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """Civic-space incident tracker."""


if __name__ == "__main__":
    main()
