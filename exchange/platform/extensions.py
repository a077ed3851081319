"""Extension objects, created unbound and bound to an app in :func:`exchange.create_app`."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from exchange.models.base import Base


class ExchangeApi(Api):
    """flask-smorest's Api without its app-wide error handler: ``exchange.web.shell`` answers errors
    (JSON under /api, HTML elsewhere) and keeps headers such as ``Allow`` on a 405."""

    def _register_error_handlers(self) -> None:
        return None


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
api = ExchangeApi()
