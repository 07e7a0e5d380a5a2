"""The `hozen` command: thin wrappers that open one transaction and call services, one
module per area (hozen.cli.*_commands), assembled here."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hozen.cli.account_commands import token_app, user_app
from hozen.cli.audit_commands import audit_app
from hozen.cli.common import fail
from hozen.cli.data_commands import demo_app, generate, import_file
from hozen.cli.db_commands import backup_command, db_app, restore_command
from hozen.cli.jobs_commands import jobs_app
from hozen.cli.keys_commands import keys_app
from hozen.cli.policy_commands import policy_app
from hozen.cli.report_commands import report_app
from hozen.config import SettingsError, get_settings

# No rich tracebacks: they print local variables, which may hold personal data.
app = typer.Typer(help="hozen (保全): security clearance platform", no_args_is_help=True,
                  pretty_exceptions_enable=False)
for sub, name in ((db_app, "db"), (audit_app, "audit"), (demo_app, "demo"),
                  (token_app, "token"), (user_app, "user"), (keys_app, "keys"),
                  (jobs_app, "jobs"), (policy_app, "policy"), (report_app, "report")):
    app.add_typer(sub, name=name)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1) -> None:
    """Serve pages, API and /healthz."""
    import uvicorn

    try:
        get_settings().check_safe_to_start()
    except SettingsError as exc:
        fail(f"refusing to start: {exc}", 2)
    from hozen.ops.logging import log_config

    # JSON lines without personal data; hozen's own access line replaces uvicorn's.
    uvicorn.run("hozen.app:serving_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False, proxy_headers=False,
                log_config=log_config())


app.command("import")(import_file)
app.command("generate")(generate)
app.command("backup")(backup_command)
app.command("restore")(restore_command)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
