"""Sign-in, password and account pages (blueprint `auth`), and the API token pages."""
