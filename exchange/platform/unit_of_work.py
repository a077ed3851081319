"""One unit of work per request, per job and per CLI command (as Indico's request handler does).

A request commits when its view has answered below 400 and rolls back otherwise (a refused form,
an error page, an exception); the job runner commits each job that returns and rolls back one that
raises; every CLI command runs in :func:`transaction`. Views and services never commit or roll back
themselves: they flush when they need ids and raise ``DomainError`` to refuse.

The commit happens inside the dispatch, after the view returned and before the after-request hooks:
an error at commit gets the same error handlers as an error in the view (503 when the database is
gone, 422 for a value out of range), and the outbox hands its jobs over, the session cookie (flash
messages) is written and the answer is sent only after the work is stored.

Two helpers for the places that need more, each call with a comment saying why:

- :func:`checkpoint` commits the work so far in a job or command that works in steps (progress that
  shows and that a retry resumes from, locks held for one batch instead of the whole run).
- :func:`discard` throws the work so far away when a view still answers normally after a refusal
  (the form again with the reason, a redirect with a flash message).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response

from exchange.platform.extensions import db


def checkpoint() -> None:
    """Commit now; the rest of the job or command continues in a new transaction."""
    db.session.commit()


def discard() -> None:
    """Roll back everything done so far in this request, job or command."""
    db.session.rollback()


@contextmanager
def transaction() -> Iterator[None]:
    """Commit when the block ends normally, roll back when it raises (CLI commands, tests)."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def finish_request(response: Response) -> Response:
    """Commit what the request did when it succeeded (status below 400), else roll it back."""
    if response.status_code < 400:
        db.session.commit()  # cheap when nothing was done: no connection is taken for it
    else:
        db.session.rollback()
    return response


class UnitOfWorkFlask(Flask):
    """Flask with one unit of work per request (see the module docstring). Errors answered by an
    error handler never pass through here: their work is rolled back when the request ends."""

    def dispatch_request(self):  # type: ignore[override]
        return finish_request(self.make_response(super().dispatch_request()))
