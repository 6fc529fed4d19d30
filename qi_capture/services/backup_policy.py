"""How long rolling backups are kept, from the IT settings: one leaf module, so that both
the laptop's profile service and the admin desk read it without importing each other."""

from __future__ import annotations

from qi_capture import deployment as deployment_settings
from qi_capture.storage.backup import DEFAULT_KEEP_DAYS


def backup_keep_days() -> int:
    """How long this machine keeps its backups: deployment.json's ``backup_keep_days``,
    else the default (an unusable deployment file is reported by the self-test)."""
    try:
        configured = deployment_settings.load().backup_keep_days
    except deployment_settings.DeploymentInvalid:
        configured = None
    return configured or DEFAULT_KEEP_DAYS
