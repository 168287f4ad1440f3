"""Imports every model so that Alembic and the tests see the whole schema."""


def import_all() -> None:
    from .accounts import models as _accounts  # noqa: F401
    from .api import idempotency as _idem  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .events import models as _events  # noqa: F401
    from .investors import models as _investors  # noqa: F401
    from .matching import models as _matching  # noqa: F401
    from .members import models as _members  # noqa: F401
    from .oauth import models as _oauth  # noqa: F401
    from .referrals import models as _referrals  # noqa: F401
    from .technologies import models as _technologies  # noqa: F401
    from .webhooks import models as _webhooks  # noqa: F401
