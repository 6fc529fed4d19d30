"""Fixtures for the central-store tests: every test runs on both backends.

- ``sqlcipher``: a copy of a template admin profile (made once per session at the KDF
  floor), unlocked through `Profile`, the central tables migrated into it.
- ``postgresql``: a real server this module starts itself from Debian's ``postgresql``
  package: ``initdb`` into a temporary folder, ``pg_ctl`` on a free local port, stopped
  at the end of the session. Each store is a fresh database cloned from a migrated
  template. As root, the server runs as the ``postgres`` system user (initdb refuses
  root). Without the package the PostgreSQL cases skip with the reason, unless
  ``QI_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"
BACKENDS = ("sqlcipher", "postgresql")
#: Roles in this group log in with a password (scram-sha-256); see `PostgresServer.start`.
PASSWORD_GROUP = "qi_password_login"

MakeCentral = Callable[[], CentralStore]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="qi-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )
        # Members of PASSWORD_GROUP must give a password over TCP (the first matching
        # line wins); everyone else is trusted, as before.
        hba = self.data / "pg_hba.conf"
        hba.write_text(f"host all +{PASSWORD_GROUP} 127.0.0.1/32 scram-sha-256\n"
                       + hba.read_text())
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c max_connections=50 -c shared_buffers=64MB"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "start",
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                      "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        name = "central_" + uuid.uuid4().hex[:12]
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                tpl = f" TEMPLATE {template}" if template else ""
                conn.execute(text(f"CREATE DATABASE {name}{tpl}"))
        finally:
            engine.dispose()
        return name


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bindir = _pg_bin()
    if bindir is None:
        reason = (
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); "
            "install Debian's 'postgresql' package to run the PostgreSQL cases"
        )
        if os.environ.get("QI_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    server = PostgresServer(bindir)
    try:
        server.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        server.stop()
        stderr = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"could not start PostgreSQL: {exc}: {stderr.decode(errors='replace')}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresServer) -> str:
    """A database with the central tables migrated: fresh stores are cloned from it."""
    name = postgres.create_database()
    CentralStore.open(postgres.url(name)).close()
    return name


@pytest.fixture(scope="session")
def admin_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("admin-template") / "admin"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    CentralStore.open(folder, PASSPHRASE).close()
    return folder


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def make_central(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[MakeCentral]:
    """A factory of fresh, empty central stores on the test's backend (closed at the end)."""
    opened: list[CentralStore] = []

    def make() -> CentralStore:
        if backend == "postgresql":
            server: PostgresServer = request.getfixturevalue("postgres")
            template: str = request.getfixturevalue("pg_template")
            store = CentralStore.open(server.url(server.create_database(template)),
                                      attachments=tmp_path / f"pg-attachments-{len(opened)}")
        else:
            template_folder: Path = request.getfixturevalue("admin_template")
            folder = tmp_path / f"admin-{len(opened)}"
            shutil.copytree(template_folder, folder)
            store = CentralStore.open(folder, PASSPHRASE)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def central(make_central: MakeCentral) -> CentralStore:
    return make_central()
