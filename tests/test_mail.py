"""E-mail goes out after the commit, over SMTP to a real (local) server, or to files when unset."""

from __future__ import annotations

from exchange.notify.mail import queue_mail, send_mail
from exchange.platform.extensions import db


def test_queued_mail_is_sent_over_smtp_after_commit(app, smtp_server, run_jobs):
    queue_mail(["rep@partner.test"], "New hot lead", "A hot lead is waiting.", "<p>A hot lead</p>")
    assert smtp_server.messages == []  # nothing goes out before the commit
    db.session.commit()
    run_jobs()
    [received] = smtp_server.messages
    assert received.recipients == ["rep@partner.test"]
    assert received.message["Subject"] == "New hot lead"
    assert "A hot lead is waiting." in received.message.get_body(("plain",)).get_content()
    assert "<p>A hot lead</p>" in received.message.get_body(("html",)).get_content()


def test_rolled_back_mail_is_never_sent(app, smtp_server, run_jobs):
    queue_mail("x@partner.test", "never", "never")
    db.session.rollback()
    run_jobs()
    assert smtp_server.messages == []


def test_without_mail_server_messages_are_written_to_the_instance_folder(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = send_mail("someone@partner.test", "Hello", "Body text")
    written = tmp_path / "mail" / result["file"]
    assert b"Subject: Hello" in written.read_bytes()
