"""A tiny local SMTP server for tests: speaks enough SMTP for smtplib and keeps what it receives."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SMTPServer:
    messages: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    def start(self) -> SMTPServer:
        server_ref = self

        class Handler(socketserver.StreamRequestHandler):
            def _send(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self._send("220 test-smtp ready")
                sender, recipients = "", []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb in ("HELO", "EHLO"):
                        self._send("250 test-smtp")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                        self._send("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip(" <>"))
                        self._send("250 OK")
                    elif verb == "DATA":
                        self._send("354 end with .")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        message = message_from_bytes(b"".join(lines), policy=policy.default)
                        server_ref.messages.append(Received(sender, recipients, message))
                        self._send("250 queued")
                    elif verb == "RSET":
                        self._send("250 OK")
                    elif verb == "QUIT":
                        self._send("221 bye")
                        return
                    else:
                        self._send("502 not implemented")

        self._server = socketserver.ThreadingTCPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
