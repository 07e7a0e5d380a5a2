"""`hozen user` and `hozen token`: platform users and their API bearer tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from hozen.cli.common import fail

user_app = typer.Typer(help="Platform users", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens", no_args_is_help=True)


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
        fail(f"unknown role; choose from {', '.join(r.value for r in Role)}", 2)
    try:
        with unit_of_work() as session:
            user = create_user(session, username=username, password=password,
                               display_name=display_name or username,
                               organisation_id=organisation_id, roles=roles,
                               person_id=person_id, email=email, actor=Actor.system())
    except DomainError as exc:
        fail(f"error: {exc.field}: {exc.message}", 2)
    typer.echo(f"created user {user.username} ({user.id})")


@user_app.command("mfa-enrol")
def user_mfa_enrol(
        username: str,
        replace: Annotated[bool, typer.Option(
            "--replace", help="Issue a new secret to a user already enrolled")] = False,
) -> None:
    """Enrol a user (e.g. a service account) in MFA with a new secret, printed once.

    For a user used only through API tokens, who cannot sign in on the web pages to enrol:
    its high-risk API calls need a code from the secret in X-Hozen-OTP. The secret and the
    recovery codes are printed once, never stored in clear or logged."""
    from hozen.accounts.actor import Actor
    from hozen.accounts.mfa import enrol_by_operator
    from hozen.db import unit_of_work
    from hozen.errors import Conflict, ValidationFailed

    try:
        with unit_of_work() as session:
            issued = enrol_by_operator(session, username, replace=replace,
                                       actor=Actor.system())
    except Conflict:
        fail(f"{username} is already enrolled in MFA; --replace issues a new secret (the "
             "old one and its recovery codes stop working)", 2)
    except ValidationFailed:
        fail(f"no such active user: {username}", 2)
    typer.echo(f"enrolled {username} in MFA; shown once, keep it where the service's "
               "secrets are kept:")
    typer.echo(f"otpauth URI: {issued.uri}")
    typer.echo(f"secret (base32): {issued.secret}")
    typer.echo("recovery codes (each works once):")
    for code in issued.recovery_codes:
        typer.echo(f"  {code}")


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
        fail(f"no such user: {username}", 2)
    typer.echo(raw)
