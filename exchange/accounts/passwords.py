"""Argon2 password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

_hasher = PasswordHasher()


def configure(parameters: dict | None) -> None:
    """Use other Argon2 parameters (``ARGON2_PARAMETERS``; tests use cheap ones, never production)."""
    global _hasher
    _hasher = PasswordHasher(**parameters) if parameters else PasswordHasher()


MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# zxcvbn is quadratic in the length; a longer password is judged by its start (and is long anyway).
_STRENGTH_CHECK_CHARS = 100


def password_problem(
    password: str,
    *,
    email: str = "",
    name: str = "",
    current_hash: str | None = None,
    min_score: int = 3,
) -> str | None:
    """Why ``password`` is refused, or None when it is good enough.

    Refused: shorter than :data:`MIN_PASSWORD_LENGTH`; the current password; one that contains the
    e-mail address, its local part or the name; one that zxcvbn (common-password and word lists,
    keyboard patterns, repeats, sequences, dates, the user's own details) scores below ``min_score``.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if current_hash and verify_password(current_hash, password):
        return _("Choose a password other than your current one.")
    squeezed = "".join(password.lower().split())
    email = (email or "").strip().lower()
    local = email.partition("@")[0]
    full_name = "".join((name or "").lower().split())

    # The address itself, or little more than its local part or the name ("nina@x.test", "Nina2024!").
    def alnum(text: str) -> str:
        return "".join(ch for ch in text if ch.isalnum())

    plain = alnum(squeezed)
    if (email and email in squeezed) or any(
        len(alnum(item)) >= 3
        and alnum(item) in plain
        and len(plain) - len(alnum(item)) < max(4, len(alnum(item)))
        for item in (local, full_name)
    ):
        return _("The password must not be your e-mail address or name.")
    # Parts of the name and address count as known words: "Nina2024!" is weak for Nina.
    personal = [email, local, full_name, *(name or "").lower().split(), *local.replace(".", " ").split()]
    result = zxcvbn(password[:_STRENGTH_CHECK_CHARS], user_inputs=[item for item in personal if item])
    if result["score"] < min_score:
        hint = result.get("feedback", {}).get("warning") or ""
        message = _("This password is too easy to guess; use a longer phrase of unrelated words.")
        return f"{message} {hint}".strip() if hint else message
    return None
