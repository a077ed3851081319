"""Outgoing e-mail. ``queue_mail`` records a ``mail.send`` job in the current transaction, so a message
goes out only if the change that caused it commits, and is retried if the SMTP server is down.

With ``MAIL_SERVER`` unset (the embedded default) messages are written as ``.eml`` files to
``instance/mail/`` instead, so a local user can read what would have been sent.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from flask import current_app

from exchange.platform import clock
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY


def build_message(to: list[str], subject: str, text: str, html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    # Not email.utils.make_msgid: it draws from the global ``random`` module, which a job thread must
    # not touch while tests (hypothesis) rely on its state; uuid4 reads the OS's randomness.
    message["Message-ID"] = f"<{uuid.uuid4().hex}@lead-exchange>"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(to: list[str] | str, subject: str, text: str, html: str | None = None) -> dict[str, object]:
    """Send one message now (jobs call this; request code uses :func:`queue_mail`)."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        return {"sent": 0}
    message = build_message(recipients, subject, text, html)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{clock.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        return {"sent": len(recipients), "file": path.name}
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    return {"sent": len(recipients)}


def queue_mail(to: list[str] | str, subject: str, text: str, html: str | None = None) -> None:
    """Send after the current transaction commits (with the job system's retries)."""
    recipients = [to] if isinstance(to, str) else list(to)
    enqueue("mail.send", recipients, subject, text, html, queue=QUEUE_NOTIFY)
