"""Access at start-up: the first manager token of an empty store, the automation token of
``KP_BOOTSTRAP_TOKEN``, and the refusal to serve without auth beyond this machine."""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from pathlib import Path

from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.domain.errors import Conflict
from kangaroo_paw.domain.token import Role, digest_of
from kangaroo_paw.settings import Settings, SettingsError

log = logging.getLogger(__name__)

FIRST_TOKEN = "first-manager"  # noqa: S105 - a token name, not a secret
TOKEN_FILE = "manager.token"  # noqa: S105 - a file name, not a secret


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare_access(settings: Settings, kitchen: Kitchen) -> None:
    """Before serving: make sure someone can get in, and nobody else without a token."""
    if not settings.auth:
        if not is_loopback(settings.host):
            raise SettingsError(
                f"KP_AUTH=off is for local experiments: it does not serve on {settings.host}; "
                "bind to 127.0.0.1 or turn auth on"
            )
        log.warning(
            "KP_AUTH=off: ANY PROCESS ON THIS MACHINE CAN CHANGE THE KITCHEN (no tokens checked)"
        )
        return
    if settings.bootstrap_token:
        _ensure_bootstrap(kitchen, settings.bootstrap_token)
    elif not kitchen.has_tokens():
        _first_token(kitchen, settings.data_dir / TOKEN_FILE)


def _ensure_bootstrap(kitchen: Kitchen, secret: str) -> None:
    if kitchen.authenticate(secret) is not None:
        return
    name = "bootstrap"
    if name in {t.name for t in kitchen.list_tokens()}:
        name = f"bootstrap-{digest_of(secret)[:8]}"
    try:
        kitchen.issue_token(name, Role.MANAGER, secret=secret)
        log.info("created manager token %r from KP_BOOTSTRAP_TOKEN", name)
    except Conflict:  # another process created it, or it was revoked: not brought back
        if kitchen.authenticate(secret) is None:
            log.warning("the token of KP_BOOTSTRAP_TOKEN is revoked or expired; not renewed")


def _first_token(kitchen: Kitchen, path: Path) -> None:
    try:
        view, secret = kitchen.issue_token(FIRST_TOKEN, Role.MANAGER)
    except Conflict:  # another API process of this store issued it a moment ago
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    os.chmod(path, 0o600)
    log.info("created the first manager token %r; its secret is in %s", view.name, path)
    print(
        f"\nFirst manager token (shown once; also in {path}, readable only by you):\n\n"
        f"    {secret}\n\nUse it as:  Authorization: Bearer {secret}\n",
        file=sys.stdout,
        flush=True,
    )
