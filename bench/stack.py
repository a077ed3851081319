"""The production setup on this machine, for ``bench.prod_smoke`` and ``bench.load``.

Started by :func:`production_stack`, configured only by environment variables (as the ``Procfile``):

- a fresh PostgreSQL database ``<db>_<suffix>`` on the server of ``DATABASE_URL`` (default
  ``postgresql://postgres@127.0.0.1:5432/postgres``), migrated with ``flask db upgrade``, dropped at
  the end;
- a ``redis-server`` of its own on a free port (the shared Redis is not touched), database
  ``STACK_REDIS_DB`` (default 0) flushed, so it can be stopped and started in the middle;
- ``gunicorn wsgi:app`` with ``STACK_WEB_WORKERS`` (default 2) workers on a free loopback port,
  ``flask worker`` x ``STACK_WORKERS`` (default 2) and one ``flask cron``.

Every process is killed at the end (its whole process group), whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from bench.database import empty_database

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class StackError(RuntimeError):
    """The stack could not start, or a check against it failed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_url() -> sa.engine.URL:
    from exchange.platform.config import normalise_database_url

    url = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    if not url.startswith("postgres"):
        raise StackError("DATABASE_URL must point at a PostgreSQL server (a fresh database is created there)")
    return sa.engine.make_url(normalise_database_url(url))


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


@dataclass
class Stack:
    workdir: Path
    database_url: str
    redis_port: int
    redis_db: int
    web_port: int
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    redis: Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{self.redis_db}"

    def spawn(self, name: str, argv: list[str]) -> Process:
        log = self.workdir / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    # --- Redis of its own ------------------------------------------------------------------------

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise StackError("redis-server is not installed (Debian: apt-get install -y redis-server)")
        argv = [
            binary,
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        argv += ["--dir", str(self.workdir)]
        self.redis = self.spawn("redis", argv)
        from redis import Redis

        client = Redis(port=self.redis_port, db=self.redis_db, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                client.flushdb()
                return
            except Exception as error:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise StackError(f"redis-server did not start: {error}\n{self.redis.tail()}") from None
                time.sleep(0.1)
            finally:
                client.close()

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.stop()
            self.processes.remove(self.redis)
            self.redis = None

    # --- the portal's processes ------------------------------------------------------------------

    def start_portal(self, web_workers: int, workers: int) -> None:
        self.spawn(
            "web",
            [
                str(BIN / "gunicorn"),
                "-w",
                str(web_workers),
                "-b",
                f"127.0.0.1:{self.web_port}",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
        )
        for n in range(1, workers + 1):
            self.spawn(f"worker{n}", [str(BIN / "flask"), "--app", "exchange", "worker"])
        self.spawn("cron", [str(BIN / "flask"), "--app", "exchange", "cron"])
        deadline = time.monotonic() + 60
        while True:
            self.check_alive()
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise StackError("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.3)

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise StackError(
                    f"{process.name} exited with status {process.popen.returncode}:\n{process.tail()}"
                )

    def flask(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "exchange", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise StackError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.redis = None


@contextlib.contextmanager
def production_stack(suffix: str, *, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """Create the database and start Redis; the caller seeds data, then calls ``start_portal``."""
    server = _server_url()
    with empty_database(server, f"{server.database}_{suffix}_{os.getpid()}") as database_url:
        yield from _stack_on(database_url, suffix, extra_env)


def _stack_on(database_url: str, suffix: str, extra_env: dict[str, str] | None) -> Iterator[Stack]:
    workdir = Path(tempfile.mkdtemp(prefix=f"lx-{suffix}-"))
    web_port = free_port()
    stack = Stack(
        workdir=workdir,
        database_url=database_url,
        redis_port=free_port(),
        redis_db=int(os.environ.get("STACK_REDIS_DB", "0")),
        web_port=web_port,
        env={},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXCHANGE_", "FLASK_"))}
    env.update(
        {
            "EXCHANGE_ENV": os.environ.get("STACK_EXCHANGE_ENV", "production"),
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "REDIS_URL": stack.redis_url,
            "EXCHANGE_PUBLIC_URL": stack.base_url,
            "EXCHANGE_UPLOAD_FOLDER": str(workdir / "uploads"),
            "OMP_NUM_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    stack.env = env
    try:
        stack.start_redis()
        stack.flask("db", "upgrade")
        yield stack
    finally:
        stack.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def app_for(stack: Stack):
    """An app on the stack's database and Redis, in this process (to seed data and to look)."""
    from exchange import create_app

    return create_app(
        {
            "DATABASE_URL": stack.database_url,
            "REDIS_URL": stack.redis_url,
            "SECRET_KEY": stack.env["SECRET_KEY"],
            "EMBEDDED_SCHEDULER": False,
            "WEBHOOK_ALLOW_HTTP_LOCALHOST": True,
        }
    )


@dataclass
class Programme:
    manufacturer_id: int
    maker_token: str
    partners: list[tuple[int, str]]  # (organisation id, read-write token of its admin)


def seed_programme(app, partners: int = 2, slug: str = "smoke", capacity: int = 10) -> Programme:
    """A manufacturer with a product line and ``partners`` partners covering Germany, each with an
    admin and a read-write API token (through the domain services, as ``flask`` commands do)."""
    from exchange.accounts import organisations
    from exchange.accounts import users as accounts
    from exchange.accounts.tokens import issue_token
    from exchange.models import Role, Tier, TokenScope
    from exchange.platform.extensions import db

    with app.app_context():
        maker = organisations.create_manufacturer("Smoke Pumps AG", slug=slug)
        line = organisations.add_product_line(maker, "pumps", "Pumps")
        admin = accounts.create_user(
            maker, email=f"admin@{slug}.test", name="Maker Admin", role=Role.MANUFACTURER_ADMIN,
            password=secrets.token_urlsafe(16),
        )  # fmt: skip
        maker_token = issue_token(admin, "smoke", TokenScope.READ_WRITE).plaintext
        result = []
        for n in range(1, partners + 1):
            partner = organisations.create_partner(
                f"Partner {n} GmbH", coverage=[("DE", None, None)], capacity=capacity
            )
            organisations.enroll(maker, partner, tier=Tier.GOLD, product_lines=[line])
            user = accounts.create_user(
                partner, email=f"p{n}@{slug}.test", name=f"Partner Admin {n}", role=Role.PARTNER_ADMIN,
                password=secrets.token_urlsafe(16),
            )  # fmt: skip
            result.append((partner.id, issue_token(user, "smoke", TokenScope.READ_WRITE).plaintext))
        db.session.commit()
        return Programme(maker.id, maker_token, result)


def lead_item(n: int, tag: str, temperature: str = "warm") -> dict:
    return {
        "company_name": f"Buyer {tag} {n} GmbH",
        "contact_first_name": "Erika",
        "contact_last_name": f"Muster{n}",
        "contact_email": f"erika{n}.{tag}@buyer.example",
        "contact_phone": f"+49 89 {1000000 + n}",
        "street": "Hauptstr. 1",
        "city": "München",
        "country": "DE",
        "region": "BY",
        "postal_code": "80331",
        "industry": "Manufacturing",
        "employees": 120,
        "estimated_value": "25000",
        "rating": temperature,
        "product_interest": "Pumps",
    }
