"""`hozen audit`: sign the audit chain's head and verify the whole chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hozen.cli.common import fail
from hozen.config import get_settings

audit_app = typer.Typer(help="The hash-chained audit log", no_args_is_help=True)


def checkpoint_log() -> Path:
    """Where signed checkpoints are appended: beside the key that signs them."""
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
        anchor = audit.checkpoint(session, key, checkpoint_log())
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
            fail("--expect-head must be SEQ:HASH (64 hex digits)", 2)
        extra.append(Anchor(int(seq), head_hash))
    if not verify_audit(public_key or [], extra):
        raise typer.Exit(1)


def verify_audit(public_keys: list[str], extra_anchors: list) -> bool:
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
                              checkpoint_log=checkpoint_log())
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
