"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from exchange import create_app
from exchange.web.setup import announce_at_start

app = create_app()
announce_at_start(app)  # an empty installation: the log says where to set it up, with the setup token
