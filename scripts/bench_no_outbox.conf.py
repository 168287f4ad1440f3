"""gunicorn settings for the benchmark's `create-no-outbox` scenario (never for serving).

The project's own settings (config/gunicorn.conf.py), and in each worker the event log taken
out of the same code: no listing change renders its event or emits one, and nothing is written
at commit. `scripts/bench run --scenarios create,create-no-outbox` serves one app of each and
alternates them, so that what the outbox costs a create is measured on one code base in one run.
"""

import os

_config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "gunicorn.conf.py")
with open(_config) as _fh:
    exec(compile(_fh.read(), _config, "exec"))


def post_worker_init(worker):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from platform_api import events
    from platform_api.events import outbox
    from platform_api.technologies import services

    services._tell = lambda *args, **kwargs: None  # the listing's own view for its event is not rendered
    events.emit = outbox.emit = lambda *args, **kwargs: None
    event.remove(Session, "before_commit", outbox._write)
