"""Where the central store may live, attacked: URLs that would make an unencrypted store
are refused with nothing created; PostgreSQL passwords come from libpq's own sources
(``PGPASSWORD``, a password file, a service file) and never show in a message; every
way a connection fails is one typed line; ``admin init --create-role`` makes a role that
can merge but can neither change the schema nor erase what was merged.

The PostgreSQL cases run against the real server `conftest.postgres` starts, where
members of `PASSWORD_GROUP` must log in with a password (scram-sha-256).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from qi_capture.central.errors import (
    CentralRoleRefused,
    CentralSchemaOutdated,
    CentralTargetRefused,
    CentralUnavailable,
)
from qi_capture.central.postgres import mask
from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from tests.core.central.conftest import PASSWORD_GROUP, PostgresServer
from tests.core.central.helpers import FakeDevice

SECRET = "Tr0ub4dor-secret-pw"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(autouse=True)
def no_ambient_libpq(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing from the machine's own PostgreSQL set-up may help or spoil a case."""
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGUSER",
                 "PGHOST", "PGPORT", "PGDATABASE", "QI_CAPTURE_ROLE_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.pgpass, ~/.pg_service.conf


# -- 1. only a central folder or PostgreSQL ----------------------------------------------------
@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite", "mysql", "file", "oracle"])
def test_urls_other_than_postgresql_are_refused_and_nothing_is_created(
    scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = f"{scheme}:///{tmp_path}/central.db"
    with pytest.raises(CentralTargetRefused) as caught:
        CentralStore.open(target)
    assert caught.value.code == "central_target_refused"
    assert "central folder" in caught.value.message and "postgresql://" in caught.value.message
    assert list(tmp_path.iterdir()) == []  # no SQLite file, nothing at all


def test_the_cli_refuses_an_sqlite_url_with_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "plain.db"
    for args in (["merge", "--central", f"sqlite:///{db}", str(tmp_path)],
                 ["export", "--central", f"sqlite:///{db}", "--form", "f", "--format", "csv",
                  "--out", str(tmp_path / "out")],
                 ["devices", "list", "--central", f"sqlite:///{db}"]):
        code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), *args)
        assert code == 2, out
        assert out.count("\n") == 1 and "sqlite:// is not a kind of central store" in out
        assert "Traceback" not in out
    assert not db.exists() and not (tmp_path / "out").exists()


def test_admin_init_refuses_an_sqlite_url(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", "copper kettle harbour 42")
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "admin", "init", "--central",
                    f"sqlite:///{tmp_path}/x.db", "--admin", str(tmp_path / "keys"),
                    "--kdf", "floor")
    assert code == 2 and "sqlite:// is not a kind of central store" in out
    assert not (tmp_path / "keys").exists() and not (tmp_path / "x.db").exists()


def test_mask_hides_passwords_even_in_urls_sqlalchemy_cannot_parse() -> None:
    assert SECRET not in mask(f"postgresql://u:{SECRET}@h:5432/db")
    assert SECRET not in mask(f"postgresql://u:{SECRET}@h:notaport/db")


# -- 10. PostgreSQL: passwords from libpq's sources, failures as one line ----------------------
class PasswordRole:
    """A login role that must give a password, owning a fresh database."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.name = "qi_pw_" + uuid.uuid4().hex[:8]
        self.database = "db_" + self.name
        engine = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :g"),
                                     {"g": PASSWORD_GROUP})
                if not exists:
                    conn.execute(text(f"CREATE ROLE {PASSWORD_GROUP} NOLOGIN"))
                conn.execute(text(f"CREATE ROLE {self.name} LOGIN PASSWORD '{SECRET}' "
                                  f"IN ROLE {PASSWORD_GROUP}"))
                conn.execute(text(f"CREATE DATABASE {self.database} OWNER {self.name}"))
        finally:
            engine.dispose()

    def url(self, password: str | None = None, database: str | None = None) -> str:
        auth = self.name if password is None else f"{self.name}:{password}"
        return (f"postgresql://{auth}@127.0.0.1:{self.server.port}/"
                f"{database or self.database}")


@pytest.fixture
def role(postgres: PostgresServer) -> PasswordRole:
    return PasswordRole(postgres)


def _opens(url: str) -> None:
    with CentralStore.open(url) as store:
        assert store.backend == "postgresql"
        assert SECRET not in store.target


def test_without_any_password_it_says_where_to_put_one(role: PasswordRole) -> None:
    with pytest.raises(CentralUnavailable) as caught:
        CentralStore.open(role.url())
    assert caught.value.reason == "no_password"
    assert "PGPASSWORD" in caught.value.message and "~/.pgpass" in caught.value.message


def test_password_from_pgpassword(role: PasswordRole, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    _opens(role.url())


def test_password_from_a_password_file(role: PasswordRole, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{role.server.port}:{role.database}:{role.name}:{SECRET}\n")
    passfile.chmod(0o600)  # libpq ignores a password file others can read
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    _opens(role.url())


def test_password_from_home_pgpass(role: PasswordRole, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pgpass").write_text(f"*:*:*:{role.name}:{SECRET}\n")
    (home / ".pgpass").chmod(0o600)
    _opens(role.url())


@pytest.mark.parametrize("how", ["url", "env"])
def test_connection_from_a_service_file(role: PasswordRole, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path, how: str) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text(
        "[qi_central]\n"
        f"host=127.0.0.1\nport={role.server.port}\ndbname={role.database}\n"
        f"user={role.name}\npassword={SECRET}\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    if how == "url":
        _opens("postgresql:///?service=qi_central")
    else:
        monkeypatch.setenv("PGSERVICE", "qi_central")
        _opens("postgresql://")


def test_a_wrong_password_is_one_line_without_the_password(
    role: PasswordRole, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "Wr0ng-" + SECRET
    with pytest.raises(CentralUnavailable) as caught:
        CentralStore.open(role.url(wrong))
    error = caught.value
    assert error.reason == "auth_failed"
    assert wrong not in error.message and wrong not in str(error.to_dict())
    assert "***" in error.message
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "devices", "list",
                    "--central", role.url(wrong))
    assert code == 2 and out.count("\n") == 1 and "Traceback" not in out
    assert wrong not in out and "password" in out
    # Nor in the log file the command wrote.
    for path in (tmp_path / "d").rglob("*"):
        if path.is_file():
            assert wrong.encode() not in path.read_bytes()


def test_a_closed_port_and_a_missing_database(postgres: PostgresServer,
                                              role: PasswordRole,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", SECRET)
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(CentralUnavailable) as caught:
        CentralStore.open(f"postgresql://u:{SECRET}@127.0.0.1:{closed}/db")
    assert caught.value.reason == "refused" and SECRET not in caught.value.message
    with pytest.raises(CentralUnavailable) as caught:
        CentralStore.open(role.url(database="no_such_database"))
    assert caught.value.reason == "no_database"
    assert "no_such_database" in caught.value.message


# -- admin init --create-role --------------------------------------------------------------------
@pytest.fixture
def initialised(postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[str, str]]:
    """``admin init`` with the owner's URL and ``--create-role``; yields (role, URL of the
    role without its password). The role is put in the password group, so the server
    checks its password."""
    database = postgres.create_database()
    role = "qi_merge_" + uuid.uuid4().hex[:6]
    secret_file = tmp_path / "role-password"
    secret_file.write_text(SECRET + "\n")
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", "copper kettle harbour 42")
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d"), "admin", "init",
                    "--central", postgres.url(database), "--admin", str(tmp_path / "keys"),
                    "--create-role", role, "--role-password-file", str(secret_file),
                    "--kdf", "floor")
    assert code == 0, out
    assert f"Role {role} created" in out and SECRET not in out
    assert (tmp_path / "keys" / "admin" / "keyfile.json").is_file()
    owner = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :g"),
                           {"g": PASSWORD_GROUP}):
            conn.execute(text(f"CREATE ROLE {PASSWORD_GROUP} NOLOGIN"))
        conn.execute(text(f"GRANT {PASSWORD_GROUP} TO {role}"))
    owner.dispose()
    yield role, f"postgresql://{role}@127.0.0.1:{postgres.port}/{database}"


def test_the_merge_role_merges_but_cannot_erase_or_change_the_schema(
    initialised: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    role, url = initialised
    with pytest.raises(CentralUnavailable):  # the password is checked
        CentralStore.open(url)
    monkeypatch.setenv("PGPASSWORD", SECRET)
    device = FakeDevice("Laptop A")
    with CentralStore.open(url, actor=role) as central:
        central.enrol(device.id, name="Laptop A", fingerprint=device.fingerprint)
        report = central.merge(device.bundle([device.revision(uuid.uuid4(), {"q": "a"})]))
        assert report.outcome == "imported" and report.new_revisions == 1
        before = central.content_hash()
        for statement in ("DELETE FROM central_revision",
                          "UPDATE central_revision SET canonical_json = '{}'",
                          "DELETE FROM central_audit",
                          "DROP TABLE central_revision",
                          "CREATE TABLE central_extra (x int)",
                          "UPDATE central_alembic_version SET version_num = 'x'"):
            with pytest.raises(ProgrammingError) as caught, central.engine.begin() as conn:
                conn.execute(text(statement))
            assert "permission denied" in str(caught.value) or "must be owner" in str(
                caught.value)
        assert central.content_hash() == before


def test_a_role_that_may_not_migrate_says_so(
    postgres: PostgresServer, initialised: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _role, url = initialised
    database = url.rsplit("/", 1)[1]
    owner = create_engine(postgres.url(database), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:  # as if the app had been upgraded past the schema
        conn.execute(text("UPDATE central_alembic_version SET version_num = 'c0001'"))
    owner.dispose()
    monkeypatch.setenv("PGPASSWORD", SECRET)
    with pytest.raises(CentralSchemaOutdated) as caught:
        CentralStore.open(url)
    assert "owner" in caught.value.message and SECRET not in caught.value.message


def test_create_role_refuses_an_existing_role_and_odd_names(
    postgres: PostgresServer, initialised: tuple[str, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    role, _url = initialised
    from qi_capture.central import migrate
    from qi_capture.central import postgres as pg
    from qi_capture.central.models import CentralBase

    tables = [t.name for t in CentralBase.metadata.sorted_tables]
    owner = pg.parse_url(postgres.url(postgres.create_database()))
    for name in (role, "Robert'); DROP TABLE x;--", "postgres"):
        with pytest.raises(CentralRoleRefused):
            pg.create_merge_role(owner, name, None, tables, version_table=migrate.VERSION_TABLE)
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d2"), "admin", "init", "--central",
                    str(tmp_path / "folder"), "--create-role", "x", "--kdf", "floor")
    assert code == 2 and "--create-role needs a PostgreSQL URL" in out
    assert not (tmp_path / "folder").exists()


def test_a_right_missing_mid_command_is_one_line_without_the_statement(
    postgres: PostgresServer, initialised: tuple[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    role, url = initialised
    monkeypatch.setenv("PGPASSWORD", SECRET)
    device = FakeDevice("Laptop A")
    with CentralStore.open(url) as central:
        central.enrol(device.id, name="Laptop A", fingerprint=device.fingerprint)
    owner = create_engine(postgres.url(url.rsplit("/", 1)[1]), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"REVOKE INSERT ON central_audit FROM {role}"))
    owner.dispose()
    code, out = cli(capsys, "--data-dir", str(tmp_path / "d3"), "devices", "revoke",
                    "--central", url, str(device.id))
    assert code == 2 and "Traceback" not in out
    assert out.count("\n") == 1 and "permission denied for table central_audit" in out
    assert "INSERT INTO" not in out and SECRET not in out
    with CentralStore.open(url) as central:  # the revocation was rolled back whole
        assert central.device(device.id).status == "enrolled"
