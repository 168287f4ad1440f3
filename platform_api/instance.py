"""The instance folder: made by `platform-admin init`, never as a side effect of reading settings.

It holds the default SQLite database (DATABASE_URL unset) and, in development without SECRET_KEY,
the secret key that load_settings() reads.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .config import SECRET_FILE


def init_instance(instance_path: str | os.PathLike, *, secret: bool = True) -> list[str]:
    """Create the instance folder and, if `secret`, a development secret_key in it (mode 0600).

    Returns the paths it created, [] when everything was already there. Safe to run again: an
    existing secret_key is never replaced (O_EXCL), so sessions and cursors signed with it stay valid.
    """
    folder = Path(instance_path)
    created = []
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        created.append(str(folder))
    if secret:
        path = folder / SECRET_FILE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return created
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        created.append(str(path))
    return created
