"""Backup and restore of the whole database (issue 11): SQLite through its online backup
API, PostgreSQL through pg_dump/pg_restore. Each dump has a manifest beside it (PATH.manifest.json)
recording the schema revision, the audit chain head and the dump's SHA-256, so a restore
can refuse a dump that was altered or that comes from a newer hozen. The key file is never
in a backup: personal data stays encrypted in the dump, and only the same keyring can read
it after a restore."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import bindparam, create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from hozen.config import get_settings
from hozen.crypto import KeyFileError, load_keyring
from hozen.db import alembic_config, get_engine_for_url, utcnow

FORMAT = 1
# Tables any real data writes to (every change is audited); reference data (countries,
# shipped agreements) does not make a database "non-empty".
DATA_TABLES = ("audit_event", "app_user", "organisation", "person")
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"  # Debian's layout, as scripts/pg.sh finds it


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    dialect: str
    revision: str | None
    audit_seq: int
    audit_head: str
    sha256: str
    size: int
    key_id: str | None  # the active key set when the backup was made (the id, no key)
    # Every key set the dump's data needs (ciphertext and search tokens): a backup taken
    # during a rotation holds rows under two. Older manifests lack it: then key_id only.
    key_ids: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @property
    def needs_keys(self) -> set[str]:
        return set(self.key_ids) | ({self.key_id} if self.key_id else set())

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("unknown manifest format")
        fields = cls.__dataclass_fields__
        missing = [f for f in fields if f not in doc and f != "key_ids"]
        if missing:
            raise ValueError(f"manifest lacks {', '.join(missing)}")
        key_ids = doc.get("key_ids", [])
        if not isinstance(key_ids, list) or not all(isinstance(k, str) for k in key_ids):
            raise ValueError("key_ids must be a list of key set ids")
        return cls(**{f: doc[f] for f in fields if f in doc} | {"key_ids": tuple(key_ids)})


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    head_revision: str  # this hozen's newest migration
    older_schema: bool  # the restored schema needs `hozen db upgrade`
    superseded: tuple[dict, ...] = ()  # checkpoints of the lost tail, set aside
    set_aside_to: Path | None = None  # the file they were moved to


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".manifest.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pg_binary(name: str) -> str:
    """The newest installed PostgreSQL's `name` (pg_dump, pg_restore): the directory
    scripts/pg.sh uses, else the PATH. pg_dump must be at least the server's version."""
    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", p.parent.name))

    dirs = sorted(Path("/").glob(PG_BIN_GLOB.lstrip("/")), key=version, reverse=True)
    for d in dirs:
        if (d / name).is_file():
            return str(d / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs")
    return found


def _dialect(url: str) -> str:
    return make_url(url).get_backend_name()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (an
    argument would show in the process list)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(), env


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(args[0]).name} failed: " + " / ".join(last))
    return done.stdout


def _state(conn: Connection) -> tuple[str | None, int, str]:
    """(alembic revision, audit chain head seq, head hash) as this connection sees them."""
    from hozen.audit.rules import GENESIS

    names = set(inspect(conn).get_table_names())
    revision = conn.scalar(text("SELECT version_num FROM alembic_version")) \
        if "alembic_version" in names else None
    row = conn.execute(text("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
                       ).first() if "audit_event" in names else None
    return revision, (row[0] if row else 0), (row[1] if row else GENESIS)


def _key_ids_in_use(conn: Connection) -> list[str]:
    """The key sets this connection's data was encrypted and indexed under."""
    from hozen.keyrotation import key_ids_in_use

    try:
        return sorted(key_ids_in_use(conn))
    except (KeyFileError, UnicodeDecodeError) as exc:
        raise BackupError(f"cannot tell which key sets the data needs: {exc}") from None


def _key_id() -> str | None:
    path = get_settings().key_file
    return load_keyring(path).active if path.exists() else None


@contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A temporary file beside `target` (mode 0600: the dump holds the whole record),
    renamed over it only when the block succeeds."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --- backup ---------------------------------------------------------------------------


def backup(url: str, dump: Path) -> Manifest:
    """Write a consistent copy of the database at `url` to `dump` and its manifest beside
    it, while the server keeps running."""
    dump = dump.resolve()
    if dump.exists() or manifest_path(dump).exists():
        raise BackupError(f"{dump} or its manifest exists; not overwritten")
    if not dump.parent.is_dir():
        raise BackupError(f"no such directory: {dump.parent}")
    dialect = _dialect(url)
    with _staged(dump) as tmp:
        if dialect == "sqlite":
            state = _backup_sqlite(_sqlite_path(url), tmp)
        elif dialect == "postgresql":
            state = _backup_postgresql(url, tmp)
        else:
            raise BackupError(f"cannot back up a {dialect} database")
        revision, seq, head_hash, in_use = state
        active = _key_id()
        manifest = Manifest(FORMAT, utcnow().isoformat(), dialect, revision, seq, head_hash,
                            sha256_file(tmp), tmp.stat().st_size, active,
                            tuple(sorted(set(in_use) | ({active} if active else set()))))
    with _staged(manifest_path(dump)) as tmp:
        tmp.write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _backup_sqlite(source: Path, tmp: Path) -> tuple[str | None, int, str, list[str]]:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    # One step (pages=-1) under one read transaction: a snapshot even with writers (WAL).
    src, dst = sqlite3.connect(source), sqlite3.connect(tmp)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
    finally:
        src.close()
        dst.close()
    engine = create_engine(f"sqlite:///{tmp}")
    try:
        with engine.connect() as conn:  # the state of the copy itself
            return *_state(conn), _key_ids_in_use(conn)
    finally:
        engine.dispose()


def _backup_postgresql(url: str, tmp: Path) -> tuple[str | None, int, str, list[str]]:
    dsn, env = _libpq(url)
    with get_engine_for_url(url).connect() as conn:
        # The manifest reads the very snapshot pg_dump dumps: exported, then shared.
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            state = *_state(conn), _key_ids_in_use(conn)
            _run([pg_binary("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                  "--no-owner", "--no-privileges", f"--file={tmp}", f"--dbname={dsn}"], env)
    return state


# --- restore --------------------------------------------------------------------------


def read_manifest(dump: Path) -> Manifest:
    """The manifest of `dump`, once the dump is found to be the very file it describes."""
    path = manifest_path(dump)
    if not dump.is_file():
        raise BackupError(f"no backup at {dump}")
    try:
        manifest = Manifest.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"the manifest {path} is missing") from None
    except (ValueError, TypeError) as exc:
        raise BackupError(f"the manifest {path} is not valid: {exc}") from None
    if sha256_file(dump) != manifest.sha256:
        raise BackupError(f"{dump} does not match its manifest (sha256 differs): the dump "
                          "was altered or damaged; refused")
    return manifest


def _known_revisions(url: str) -> tuple[str, set[str]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    return script.get_current_head(), {r.revision for r in script.walk_revisions()}


def is_empty(url: str) -> bool:
    """No data beyond the reference data `hozen db upgrade` loads."""
    if _dialect(url) == "sqlite" and not _sqlite_path(url).exists():
        return True
    with get_engine_for_url(url).connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table in DATA_TABLES:
            if table in names and conn.scalar(text(f"SELECT 1 FROM {table} LIMIT 1")):
                return False
    return True


def restore(url: str, dump: Path, *, force: bool = False, checkpoint_log: Path | None = None,
            actor: str = "system:cli") -> RestoreResult:
    """Replace the database at `url` with the backup in `dump`, after checking the dump
    against its manifest, its schema against this hozen, and the keyring against every
    key set the data was encrypted under. Checkpoints in `checkpoint_log` that the
    restored chain no longer holds (signed after the backup) are set aside, and the
    restore is audited in the restored chain. The caller verifies the chain afterwards."""
    manifest = read_manifest(dump)
    dialect = _dialect(url)
    if manifest.dialect != dialect:
        raise BackupError(f"the backup is of a {manifest.dialect} database; the configured "
                          f"database is {dialect}")
    head, known = _known_revisions(url)
    if manifest.revision is not None and manifest.revision not in known:
        raise BackupError(f"the backup is from a newer schema (revision {manifest.revision}) "
                          f"than this hozen knows (head {head}); upgrade hozen first")
    if manifest.needs_keys:
        path = get_settings().key_file
        held = set(load_keyring(path).sets) if path.exists() else set()
        if lacking := sorted(manifest.needs_keys - held):
            raise BackupError(f"the key file {path} lacks key set "
                              f"{', '.join(map(repr, lacking))}, under which the backup's "
                              "personal data is encrypted; restore with the keyring in use "
                              "when the backup was made")
    if not force and not is_empty(url):
        raise BackupError("the database is not empty; restoring would replace its data "
                          "(use --force to do so)")
    engine = get_engine_for_url(url)
    engine.dispose()  # no pooled connection may hold the old database open
    if dialect == "sqlite":
        _restore_sqlite(dump, _sqlite_path(url))
    else:
        _restore_postgresql(engine, url, dump)
    engine.dispose()
    with engine.connect() as conn:
        restored = _state(conn)
    if restored != (manifest.revision, manifest.audit_seq, manifest.audit_head):
        raise BackupError(f"the restored database does not match the manifest "
                          f"(revision, audit head): {restored[:2]}")
    superseded, aside = set_aside_checkpoints(engine, checkpoint_log)
    _audit_restore(engine, dump, manifest, superseded, aside, actor)
    return RestoreResult(manifest, head, manifest.revision != head, tuple(superseded), aside)


def set_aside_checkpoints(engine: Engine, log: Path | None) -> tuple[list[dict], Path | None]:
    """Move the checkpoints of `log` that the chain no longer holds (signed after the
    backup point: their events are gone) to a file of their own beside it, kept as the
    record of what the restore dropped; the log keeps those that still hold. Returns
    the moved entries and their file."""
    from hozen.audit.rules import GENESIS

    if log is None or not log.exists():
        return [], None
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    seqs = sorted({int(e["seq"]) for e in entries})
    with engine.connect() as conn:
        hash_at = {0: GENESIS} | dict(conn.execute(text(
            "SELECT seq, hash FROM audit_event WHERE seq IN :seqs").bindparams(
            bindparam("seqs", expanding=True)), {"seqs": seqs}).all() if seqs else {})
    gone = [e for e in entries if hash_at.get(int(e["seq"])) != e["hash"]]
    if not gone:
        return [], None
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    aside = log.with_name(f"{log.stem}.superseded-{stamp}{log.suffix}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:  # first kept aside, then gone from the log
        fh.writelines(json.dumps(e) + "\n" for e in gone)
        fh.flush()
        os.fsync(fh.fileno())
    with _staged(log) as tmp:
        tmp.write_text("".join(json.dumps(e) + "\n" for e in entries if e not in gone))
    return gone, aside


def _audit_restore(engine: Engine, dump: Path, manifest: Manifest, superseded: list[dict],
                   aside: Path | None, actor: str) -> None:
    """The restore, as the first event after the backup point in the restored chain:
    which backup, on which host and by which operating-system user (the time is the
    event's own), and the checkpoints it set aside."""
    from hozen.audit.services import record
    from hozen.db import unit_of_work

    with unit_of_work(engine) as session:
        record(session, actor=actor, tag="backup:database:restore", subject_type="database",
               details={"backup": str(dump.resolve()), "sha256": manifest.sha256,
                        "backup_created_at": manifest.created_at,
                        "backup_audit_head": f"{manifest.audit_seq}:{manifest.audit_head}",
                        "revision": manifest.revision, "host": socket.gethostname(),
                        "os_user": _os_user(),
                        "superseded_checkpoints": [f"{e['seq']}:{e['hash']}"
                                                   for e in superseded],
                        "set_aside_to": str(aside) if aside else None})


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


def _restore_sqlite(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API, not a file copy: the live database's WAL stays coherent and
    # the whole replacement is one write transaction on the target.
    src = sqlite3.connect(dump.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        dst.execute("PRAGMA busy_timeout=15000")
        src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"{dump} could not be restored: {exc}") from None
    finally:
        src.close()
        dst.close()


def _restore_postgresql(engine: Engine, url: str, dump: Path) -> None:
    dsn, env = _libpq(url)
    listing = _run([pg_binary("pg_restore"), "--list", str(dump)])
    dumped = set(re.findall(r"^\d+; \d+ \d+ TABLE public (\S+)", listing, re.MULTILINE))
    if not {"alembic_version", "audit_event"} <= dumped:  # never drop what we cannot see
        raise BackupError(f"{dump} holds no hozen database")
    _run([pg_binary("pg_restore"), "--clean", "--if-exists", "--single-transaction",
          "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={dsn}",
          str(dump)], env)
    # --clean drops only what the dump holds: a table a later migration added would stay
    # with data from after the backup, and `hozen db upgrade` could not create it again.
    with engine.begin() as conn:
        for table in set(inspect(conn).get_table_names()) - dumped:
            conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
