"""The `hozen` command: thin wrappers that open one transaction and call services."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hozen.config import SettingsError, get_settings

# No rich tracebacks: they print local variables, which may hold personal data.
app = typer.Typer(help="hozen (保全): security clearance platform", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)
demo_app = typer.Typer(help="Demonstration data", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens", no_args_is_help=True)
user_app = typer.Typer(help="Platform users", no_args_is_help=True)
keys_app = typer.Typer(help="Encryption keys", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled work (run it from cron)", no_args_is_help=True)
policy_app = typer.Typer(help="The access policy", no_args_is_help=True)
report_app = typer.Typer(help="Reports", no_args_is_help=True)
for sub, name in ((db_app, "db"), (audit_app, "audit"), (demo_app, "demo"),
                  (token_app, "token"), (user_app, "user"), (keys_app, "keys"),
                  (jobs_app, "jobs"), (policy_app, "policy"), (report_app, "report")):
    app.add_typer(sub, name=name)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1) -> None:
    """Serve pages, API and /healthz."""
    import uvicorn

    try:
        get_settings().check_safe_to_start()
    except SettingsError as exc:
        _fail(f"refusing to start: {exc}", 2)
    from hozen.ops.logging import log_config

    # JSON lines without personal data; hozen's own access line replaces uvicorn's.
    uvicorn.run("hozen.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False, proxy_headers=False,
                log_config=log_config())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (and refresh reference data) on the configured database."""
    from hozen.db import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@keys_app.command("init")
def keys_init() -> None:
    """Create the key file (mode 0600) if it does not exist."""
    from hozen.crypto import create_key_file

    path = get_settings().key_file
    if path.exists():
        _fail(f"{path} exists; not overwritten")
    create_key_file(path)
    typer.echo(f"created {path}")


@keys_app.command("rotate")
def keys_rotate(
        batch: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
        max_batches: Annotated[int | None, typer.Option(min=1)] = None,
        settle: Annotated[float, typer.Option(min=0, help="seconds for requests begun "
                                              "under the old key file to end")] = 30.0,
        keep: Annotated[bool, typer.Option("--keep/--no-keep")] = True,
        add_only: Annotated[bool, typer.Option("--add-only")] = False,
        status: Annotated[bool, typer.Option("--status")] = False) -> None:
    """Re-encrypt all personal data under a new key set and rebuild the search index
    under its index key, with the service running; run again to resume. Exit 3: stopped
    by --max-batches (or --add-only) before the end."""
    import json

    from hozen.accounts.actor import Actor
    from hozen.db import get_engine, unit_of_work
    from hozen.keyrotation import RotationError, rotate
    from hozen.keyrotation import status as rotation_status

    path = get_settings().key_file
    if status:
        with unit_of_work() as session:
            typer.echo(json.dumps(rotation_status(session, path), indent=1))
        return
    try:
        out = rotate(get_engine(), path, actor=Actor.system(), batch=batch,
                     max_batches=max_batches, settle=settle, keep=keep, add_only=add_only)
    except RotationError as exc:
        _fail(f"rotation not finished: {exc}")
    if out.step != "done":
        typer.echo(f"key set {out.key_id} added; run again to continue" if out.step == "added"
                   else f"stopped after {max_batches} batches; run again to resume")
        raise typer.Exit(3)
    kept = f"; old key file kept at {out.kept}" if out.kept else ""
    typer.echo(f"rotation complete: key set {out.key_id} active, retired "
               f"{', '.join(out.retired) or 'none'}, {out.tokens_deleted} old index tokens "
               f"deleted{kept}")


@demo_app.command("load")
def demo_load(if_empty: Annotated[bool, typer.Option("--if-empty")] = False) -> None:
    """Load the demonstration data set (agencies, companies, people, one user per role)."""
    from hozen.db import unit_of_work
    from hozen.demo import DEMO_PASSWORD, enrol_second_factors, is_empty, load

    with unit_of_work() as session:
        if if_empty and not is_empty(session):
            typer.echo("database not empty; demo data not loaded")
            return
        users = load(session)
        # a second factor for every role but the subject's (development: see `demo code`)
        enrolled = enrol_second_factors(session) if get_settings().is_development else []
    typer.echo(f"demo data loaded; every demo user's password is {DEMO_PASSWORD!r}")
    for username, role in users:
        typer.echo(f"  {username:<22} {role}")
    if enrolled:
        typer.echo("sign-in codes: hozen demo code USER (every demo user but 'subject')")


@demo_app.command("code")
def demo_code(username: str) -> None:
    """Development only: print a demo user's current sign-in code (what their
    authenticator app would show)."""
    from hozen.accounts.mfa import current_code
    from hozen.db import unit_of_work
    from hozen.errors import ValidationFailed

    if not get_settings().is_development:
        _fail("demo codes are for development only (HOZEN_ENV=development)", 2)
    try:
        with unit_of_work() as session:
            typer.echo(current_code(session, username))
    except ValidationFailed:
        _fail(f"{username} has no second factor enrolled", 2)


@user_app.command("create")
def user_create(username: str, organisation_id: str,
                role: Annotated[list[str], typer.Option("--role")],
                display_name: str = "", person_id: str | None = None,
                email: str | None = None,
                password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                                      confirmation_prompt=True)] = "") -> None:
    """Create a platform user with one or more roles."""
    from hozen.accounts.actor import Actor
    from hozen.accounts.permissions import Role
    from hozen.accounts.services import create_user
    from hozen.db import unit_of_work
    from hozen.errors import DomainError

    try:
        roles = [Role(r) for r in role]
    except ValueError:
        _fail(f"unknown role; choose from {', '.join(r.value for r in Role)}", 2)
    try:
        with unit_of_work() as session:
            user = create_user(session, username=username, password=password,
                               display_name=display_name or username,
                               organisation_id=organisation_id, roles=roles,
                               person_id=person_id, email=email, actor=Actor.system())
    except DomainError as exc:
        _fail(f"error: {exc.field}: {exc.message}", 2)
    typer.echo(f"created user {user.username} ({user.id})")


@token_app.command("create")
def token_create(username: str, label: str = "cli",
                 days: Annotated[int, typer.Option(min=0, max=3650)] = 90) -> None:
    """Create a bearer token for a user; printed once, stored only as a hash."""
    from hozen.accounts.actor import Actor
    from hozen.accounts.services import create_token
    from hozen.db import unit_of_work
    from hozen.errors import DomainError

    try:
        with unit_of_work() as session:
            raw = create_token(session, username, label, actor=Actor.system(), days=days or None)
    except DomainError:
        _fail(f"no such user: {username}", 2)
    typer.echo(raw)


@app.command("import")
def import_file(
        path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                             help="A CSV file (UTF-8) from a legacy system")],
        kind: Annotated[str, typer.Option(
            help="What the file holds: people, organisations or clearances")] = "people",
        batch: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 10_000,
        rejects: Annotated[Path | None, typer.Option(
            help="Write the rejected rows' report here (default: FILE.rejects.csv)")] = None,
) -> None:
    """Import people, organisations (with ownership) or clearances from a legacy system's
    CSV file: every row checked, batches written whole or not at all, the rejected rows
    reported by line and column. Running the same file again resumes after its last
    committed batch; a finished file imports nothing twice."""
    from hozen.accounts.actor import Actor
    from hozen.clearances.bulk import CLEARANCES
    from hozen.db import get_engine
    from hozen.errors import ValidationFailed
    from hozen.registry import bulk
    from hozen.registry.bulk_orgs import ORGANISATIONS

    importers = {i.kind: i for i in (bulk.PEOPLE, ORGANISATIONS, CLEARANCES)}
    if kind not in importers:
        _fail("--kind must be one of: " + ", ".join(importers), 2)
    with open(path, "rb") as fh:
        total = max(sum(1 for _ in fh) - 1, 0)
    engine = get_engine()
    try:
        with typer.progressbar(length=total, label="importing", file=sys.stderr) as bar:
            result = bulk.run_import(engine, path, importers[kind],
                                     actor=Actor.system("import"), batch=batch,
                                     progress=bar.update)
    except ValidationFailed as exc:
        _fail("the file was refused: " + ", ".join(f"{f} {c}" for f, c in exc.errors), 2)
    if result.already_done:
        typer.echo(f"already imported (job {result.job_id}): nothing written")
    elif result.resumed_at_row:
        typer.echo(f"resumed after row {result.resumed_at_row}")
    report = rejects or path.with_name(path.name + ".rejects.csv")
    if result.rejected:
        report.write_text(bulk.rejects_csv(engine, result.job_id), encoding="utf-8")
    typer.echo(f"rows {result.rows}, imported {result.imported}, rejected {result.rejected}"
               + (f" (report: {report})" if result.rejected else ""))


@app.command("generate")
def generate(
        people: Annotated[int, typer.Option(min=0, help="People to create")] = 1_000,
        orgs: Annotated[int, typer.Option(min=10, help="Organisations to create")] = 100,
        items: Annotated[int, typer.Option(min=0, help="Information items to create")] = 1_000,
        seed: Annotated[int, typer.Option(help="The same seed gives the same data")] = 1,
        as_of: Annotated[str | None, typer.Option(
            help="The day the data describe (YYYY-MM-DD); default today")] = None,
        batch: Annotated[int, typer.Option(
            min=1, help="People (in whole blocks of 1,000) or items per transaction")] = 5_000,
) -> None:
    """Fill an EMPTY database with a realistic synthetic data set (organisations and
    their ownership, certifications, programmes, designations and items, people with
    cases, clearances and visits), streamed batch by batch. The same seed, sizes and
    --as-of give the same data, ids included. A database holding any organisation,
    person or user is refused: nothing is ever mixed in or overwritten (an interrupted
    run keeps the batches it committed: generate again into a fresh database)."""
    from datetime import date

    from hozen.accounts.actor import Actor
    from hozen.db import get_engine
    from hozen.errors import DomainError
    from hozen.synth.run import generate as run

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail("--as-of: expected YYYY-MM-DD", 2)
    try:
        with typer.progressbar(length=people + items, label="generating",
                               file=sys.stderr) as bar:
            summary = run(get_engine(), people=people, orgs=orgs, items=items, seed=seed,
                          as_of=day, batch=batch, actor=Actor.system("generate"),
                          progress=bar.update)
    except DomainError as exc:
        _fail(f"refused: {exc.field}: {exc.message}", 2)
    typer.echo(f"generated (seed {seed}, as of {summary.as_of}) in {summary.batches} "
               "batches:")
    for table, n in sorted(summary.counts.items()):
        typer.echo(f"  {table:<24} {n:>10,}")


@jobs_app.command("run")
def jobs_run(today: Annotated[str | None, typer.Option(
        help="Run as of this date (YYYY-MM-DD); default today")] = None) -> None:
    """Expire lapsed clearances, send expiry reminders, purge employer copies past
    retention, open due designation reviews and alert lapsed designations, expire facility
    certifications and remind before they end, e-mail queued notices."""
    from datetime import date, datetime

    from hozen.access import programmes
    from hozen.accounts import throttle
    from hozen.clearances.jobs import run_jobs
    from hozen.db import unit_of_work, utcnow
    from hozen.designations import jobs as designation_jobs
    from hozen.facilities import jobs as facility_jobs

    try:
        day = date.fromisoformat(today) if today else utcnow().date()
    except ValueError:
        _fail("--today must be YYYY-MM-DD", 2)
    with unit_of_work() as session:
        designations = designation_jobs.run(session, day)  # first: its notices are e-mailed
        facilities = facility_jobs.run(session, day)
        follow_ups = programmes.remind_follow_ups(session, day, datetime.combine(
            day, utcnow().timetz()))
        report = run_jobs(session, day)
        pruned = throttle.prune(session)  # sign-in attempts older than their window
    typer.echo(f"expired {report.expired}, reminders {report.reminders}, "
               f"e-mails {report.emails}, employer copies purged {report.purged}")
    typer.echo(f"designation reviews opened {designations.reviews_opened}, "
               f"review reminders {designations.review_reminders}, "
               f"lapse alerts {designations.lapse_alerts}, "
               f"CUI reminders {designations.cui_reminders}")
    typer.echo(f"facility certifications expired {facilities.expired}, "
               f"expiry reminders {facilities.reminders}")
    typer.echo(f"departure follow-up reminders {follow_ups}")
    typer.echo(f"old sign-in attempts removed {pruned}")


@policy_app.command("export-cedar")
def policy_export_cedar(directory: Annotated[Path, typer.Argument(
        help="Where to write hozen.cedar and hozen.cedarschema")] = Path("cedar")) -> None:
    """Write the access decision as a Cedar policy set and schema, for review in Cedar's
    own tools (the test suite checks hozen's decisions against it)."""
    from hozen.access import cedar

    for path in cedar.export(directory):
        typer.echo(str(path))


@report_app.command("time-to-access")
def report_time_to_access(
        fmt: Annotated[str | None, typer.Option("--format", "-f",
                                                help="json, csv or pdf (default: a table)")]
        = None,
        output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """For every foreign visitor: hours and human steps from their government's assurance
    to their first permitted access (from the audit log)."""
    from statistics import median

    if fmt is not None:  # the same figures as every other report (hozen.reports)
        from hozen.reports.cli import run

        if fmt not in ("json", "csv", "pdf"):
            _fail("--format must be json, csv or pdf", 2)
        run("time-to-access", fmt, output)
        return

    from hozen.accounts.actor import Actor
    from hozen.db import unit_of_work
    from hozen.reciprocity.report import time_to_access

    with unit_of_work() as session:
        rows = time_to_access(session, actor=Actor.system())
        typer.echo("assurance                             hours   steps  first access")
        for m in rows:
            hours = "-" if m.hours is None else f"{m.hours:.2f}"
            typer.echo(f"{m.assurance_id}  {hours:>6}  {m.human_steps:>5}  "
                       f"{m.first_access_at.isoformat() if m.first_access_at else 'not yet'}")
        done = [m for m in rows if m.hours is not None]
        if done:
            typer.echo(f"{len(done)} of {len(rows)} reached access: median "
                       f"{median(m.hours for m in done):.2f} h, at most "
                       f"{max(m.human_steps for m in done)} human steps")
        else:
            typer.echo(f"none of {len(rows)} visitors has reached access yet")


from hozen.reports.cli import register as _register_reports  # noqa: E402

_register_reports(report_app)  # hozen report timeliness|burden|annual|due-dates


def _checkpoint_log() -> Path:
    key = get_settings().checkpoint_key_file
    return key.parent / "audit-checkpoints.jsonl"


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain head with the Ed25519 key kept outside the database."""
    from hozen.audit import services as audit
    from hozen.db import unit_of_work

    settings = get_settings()
    key = audit.load_or_create_signing_key(settings.checkpoint_key_file, create=True)
    with unit_of_work() as session:
        anchor = audit.checkpoint(session, key, _checkpoint_log())
    typer.echo(f"checkpoint {anchor.seq}:{anchor.hash} signed by {anchor.public_key}")


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        help="SEQ:HASH recorded elsewhere; the chain must contain it")] = None,
    public_key: Annotated[list[str] | None, typer.Option(
        help="hex Ed25519 public key to trust (default: the configured key's)")] = None,
) -> None:
    """Walk the whole chain and check every checkpoint; non-zero exit on any break."""
    from hozen.audit.rules import Anchor

    extra = []
    if expect_head:
        seq, _, head_hash = expect_head.partition(":")
        if not seq.isdigit() or len(head_hash) != 64:
            _fail("--expect-head must be SEQ:HASH (64 hex digits)", 2)
        extra.append(Anchor(int(seq), head_hash))
    if not _verify_audit(public_key or [], extra):
        raise typer.Exit(1)


def _verify_audit(public_keys: list[str], extra_anchors: list) -> bool:
    """`hozen audit verify`'s check, its report printed; True when the log is intact."""
    from hozen.audit import services as audit
    from hozen.db import unit_of_work

    settings = get_settings()
    trusted = set(public_keys)
    if not trusted and settings.checkpoint_key_file.exists():
        trusted.add(audit.public_key_hex(audit.load_or_create_signing_key(
            settings.checkpoint_key_file, create=False)))
    with unit_of_work() as session:
        report = audit.verify(session, trusted_keys=trusted, extra_anchors=extra_anchors,
                              checkpoint_log=_checkpoint_log())
    chain = report.chain
    if chain.ok:
        typer.echo(f"verified {chain.verified} events; head {chain.head_seq}:{chain.head_hash}")
    else:
        typer.echo(f"BROKEN at sequence {chain.broken_seq}: {chain.reason} "
                   f"({chain.verified} events verified before it)", err=True)
    typer.echo(f"checked {report.anchors_checked} checkpoints/anchors")
    for err in report.anchor_errors:
        typer.echo(f"BROKEN: {err}", err=True)
    return report.ok


@app.command("backup")
def backup_command(path: Annotated[Path, typer.Argument(
        help="The dump to write; its manifest goes beside it as PATH.manifest.json")]) -> None:
    """Back up the whole database while the server runs (SQLite: online backup API;
    PostgreSQL: pg_dump). The key file is NOT in the backup: personal data stays
    encrypted in the dump, and a restore needs the same key file. Keep both safe, apart."""
    from hozen import backup

    try:
        m = backup.backup(get_settings().database_url, path)
    except backup.BackupError as exc:
        _fail(f"error: {exc}", 2)
    typer.echo(f"backed up {m.dialect} database at revision {m.revision} to {path} "
               f"({m.size} bytes, sha256 {m.sha256}); audit head {m.audit_seq}:{m.audit_head}")


@app.command("restore")
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
                                checkpoint_log=_checkpoint_log())
    except backup.BackupError as exc:
        _fail(f"error: {exc}", 2)
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
    if not _verify_audit([], head):
        _fail("the restored audit log does not verify", 1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
