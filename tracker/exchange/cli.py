"""Placeholder until this feature's commands land."""


def register(app):
    pass
