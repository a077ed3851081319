"""Extension objects, created unbound and bound to an app in :func:`exchange.create_app`."""

import marshmallow as ma
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from exchange.models.base import Base


class ErrorSchema(ma.Schema):
    """The API's one error body (``exchange.web.errors``), as the document describes it."""

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "Its reason phrase"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        required=True,
        metadata={"description": "Messages per field (nested fields with dots, the whole body: _schema)"},
    )


class ExchangeApi(Api):
    """flask-smorest's Api without its app-wide error handler: ``exchange.web.errors`` answers errors
    (JSON under /api, HTML elsewhere) and keeps headers such as ``Allow`` on a 405."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
api = ExchangeApi()
