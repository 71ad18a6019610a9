"""The exchange feature's blueprint: the import pages (reviewers and admins only, by their own
rule) and the downloads (every reader, by what their role may see) are nested in it."""

from flask import Blueprint

from .export_views import bp as exports
from .import_views import bp as imports

bp = Blueprint("exchange", __name__)
bp.register_blueprint(imports)
bp.register_blueprint(exports)
