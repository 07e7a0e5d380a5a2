"""`hozen db`, `hozen backup` and `hozen restore`: the database's schema and its copies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hozen.cli.audit_commands import checkpoint_log, verify_audit
from hozen.cli.common import fail
from hozen.config import get_settings

db_app = typer.Typer(help="Database schema", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (and refresh reference data) on the configured database."""
    from hozen.db import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


def backup_command(path: Annotated[Path, typer.Argument(
        help="The dump to write; its manifest goes beside it as PATH.manifest.json")]) -> None:
    """Back up the whole database while the server runs (SQLite: online backup API;
    PostgreSQL: pg_dump). The key file is NOT in the backup: personal data stays
    encrypted in the dump, and a restore needs the same key file. Keep both safe, apart."""
    from hozen import backup

    try:
        m = backup.backup(get_settings().database_url, path)
    except backup.BackupError as exc:
        fail(f"error: {exc}", 2)
    typer.echo(f"backed up {m.dialect} database at revision {m.revision} to {path} "
               f"({m.size} bytes, sha256 {m.sha256}); audit head {m.audit_seq}:{m.audit_head}")


def restore_command(
        path: Annotated[Path, typer.Argument(help="A dump written by `hozen backup`")],
        force: Annotated[bool, typer.Option(
            "--force", help="Replace a database that already holds data")] = False) -> None:
    """Replace the database with a backup: the dump must match its manifest (sha256) and
    come from this hozen's schema or an older one; a database holding data is replaced only
    with --force. Then the audit chain is verified; non-zero exit if it does not verify.
    The key file is not in the backup: restore with the key file in use when it was made."""
    from hozen import backup
    from hozen.audit.rules import Anchor

    try:
        result = backup.restore(get_settings().database_url, path, force=force,
                                checkpoint_log=checkpoint_log())
    except backup.BackupError as exc:
        fail(f"error: {exc}", 2)
    m = result.manifest
    typer.echo(f"restored the backup of {m.created_at} (revision {m.revision}, "
               f"audit head {m.audit_seq}:{m.audit_head})")
    if result.superseded:  # signed after the backup point: their events are gone
        typer.echo(f"set aside {len(result.superseded)} later checkpoints (sequence "
                   f"{', '.join(str(e['seq']) for e in result.superseded)}) to "
                   f"{result.set_aside_to}: the events after the backup point are gone")
    if result.older_schema:
        typer.echo(f"the backup's schema is older than this hozen's ({result.head_revision}): "
                   "run `hozen db upgrade`")
    head = [Anchor(m.audit_seq, m.audit_head)] if m.audit_seq else []
    if not verify_audit([], head):
        fail("the restored audit log does not verify", 1)
