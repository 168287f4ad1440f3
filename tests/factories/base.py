import factory

_session = None


def set_session(session) -> None:
    global _session
    _session = session


def current_session():
    if _session is None:
        raise RuntimeError("factories used outside a test with the db_session fixture")
    return _session


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"
