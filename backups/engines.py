"""Database dump/restore for the two engines we run on.

PostgreSQL: ``pg_dump -Fc`` taken inside an exported REPEATABLE READ snapshot, so the
row counts of the manifest describe exactly the rows in the dump; ``pg_restore`` into a
scratch database to verify and with ``--clean --if-exists --single-transaction`` over
the live one. SQLite: the online backup API, from the live connection into a private
file and back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connections

ALIAS = "default"


class EngineError(Exception):
    """A dump or restore command failed; the message carries its output."""


def engine_name(alias: str = ALIAS) -> str:
    return connections[alias].vendor  # "postgresql" or "sqlite"


def get_engine(name: str | None = None) -> PostgresEngine | SqliteEngine:
    name = name or engine_name()
    if name == "postgresql":
        if engine_name() != "postgresql":
            raise EngineError("A PostgreSQL backup can only be verified or restored where PostgreSQL is configured.")
        return PostgresEngine()
    if name == "sqlite":
        return SqliteEngine()
    raise EngineError(f"Backups support PostgreSQL and SQLite, not {name!r}.")


# --- PostgreSQL ----------------------------------------------------------------------


def _pg_binary(name: str) -> str:
    folder = settings.BACKUP_PG_BIN_DIR
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise EngineError(f"{name} was not found; install the PostgreSQL client or set BACKUP_PG_BIN_DIR.")
    return path


class PostgresEngine:
    name = "postgresql"
    dump_filename = "database.dump"

    def __init__(self, alias: str = ALIAS) -> None:
        self.alias = alias
        self.params = connections[alias].get_connection_params()

    @property
    def dbname(self) -> str:
        return self.params["dbname"]

    def _env(self) -> dict[str, str]:
        """libpq environment: keeps the password out of the process list."""
        env = {**os.environ}
        mapping = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
        for key, var in mapping.items():
            if self.params.get(key):
                env[var] = str(self.params[key])
        if self.params.get("sslmode"):
            env["PGSSLMODE"] = str(self.params["sslmode"])
        # A restore waiting behind a long-running query fails instead of hanging forever.
        env["PGOPTIONS"] = f"-c lock_timeout={int(settings.BACKUP_LOCK_TIMEOUT_SECONDS * 1000)}"
        return env

    def _connect(self, dbname: str | None = None, *, autocommit: bool = False):
        import psycopg

        kwargs = {k: v for k, v in self.params.items() if k in ("host", "port", "user", "password", "sslmode")}
        return psycopg.connect(dbname=dbname or self.dbname, autocommit=autocommit, **kwargs)

    def _run(self, args: list[str], what: str) -> None:
        # Arguments are our own binary paths and database names, never user input.
        completed = subprocess.run(  # noqa: S603
            args, env=self._env(), capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            output = (completed.stderr or completed.stdout).strip()[-2000:]
            raise EngineError(f"{what} failed (exit {completed.returncode}): {output}")

    @staticmethod
    def _count_rows(cursor) -> dict[str, int]:
        from psycopg import sql

        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
        )
        counts = {}
        for (table,) in cursor.fetchall():
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = cursor.fetchone()[0]
        return counts

    def dump(self, folder: Path) -> tuple[Path, dict[str, int]]:
        """pg_dump into ``folder``; the row counts come from the same snapshot."""
        import psycopg

        target = folder / self.dump_filename
        with self._connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts = self._count_rows(cursor)
                # The exporting transaction stays open until pg_dump has attached to it.
                self._run(
                    [
                        _pg_binary("pg_dump"),
                        "-Fc",
                        "--no-owner",
                        f"--snapshot={snapshot}",
                        "-f",
                        str(target),
                        "--dbname",
                        self.dbname,
                    ],
                    "pg_dump",
                )
            conn.rollback()
        return target, counts

    def verify(self, dump: Path) -> dict[str, int]:
        """Restore into a temporary database, count its rows, drop it."""
        from psycopg import sql

        scratch = f"{self.dbname[:30]}_verify_{uuid.uuid4().hex[:12]}"
        with self._connect("postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch)))
        try:
            self._run(
                [
                    _pg_binary("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                    scratch,
                    str(dump),
                ],
                "pg_restore into the scratch database",
            )
            with self._connect(scratch) as conn, conn.cursor() as cursor:
                return self._count_rows(cursor)
        finally:
            with self._connect("postgres", autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))

    def restore_live(self, dump: Path) -> None:
        """Replace the live database in one transaction: all or nothing."""
        # Our own sessions would hold locks pg_restore must wait for.
        connections.close_all()
        self._run(
            [
                _pg_binary("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--dbname",
                self.dbname,
                str(dump),
            ],
            "pg_restore into the live database",
        )


# --- SQLite --------------------------------------------------------------------------


def sqlite_row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # noqa: S608


class SqliteEngine:
    name = "sqlite"
    dump_filename = "database.sqlite3"

    def __init__(self, alias: str = ALIAS) -> None:
        self.alias = alias

    def _live(self) -> sqlite3.Connection:
        """The raw connection Django uses: the backup API reads a consistent snapshot
        through it, and it also works for an in-memory database."""
        connection = connections[self.alias]
        if connection.in_atomic_block:
            raise EngineError("SQLite backup and restore cannot run inside an open transaction.")
        connection.ensure_connection()
        return connection.connection

    def dump(self, folder: Path) -> tuple[Path, dict[str, int]]:
        target = folder / self.dump_filename
        destination = sqlite3.connect(target)
        try:
            self._live().backup(destination)
            counts = sqlite_row_counts(destination)
        finally:
            destination.close()
        return target, counts

    def verify(self, dump: Path) -> dict[str, int]:
        """The extracted file is already a scratch copy: check it and count its rows."""
        conn = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise EngineError(f"SQLite integrity check failed: {result}")
            return sqlite_row_counts(conn)
        finally:
            conn.close()

    def restore_live(self, dump: Path) -> None:
        """The backup API in reverse: pages copied into the live database under its lock."""
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            source.backup(self._live())
        except sqlite3.Error as exc:
            raise EngineError(f"SQLite restore failed: {exc}") from exc
        finally:
            source.close()
