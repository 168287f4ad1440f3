import factory

from platform_api.accounts.models import User
from platform_api.security import hash_password

from .base import BaseFactory
from .members import MemberFactory

DEFAULT_PASSWORD = "correct horse battery staple"
# argon2 is deliberately slow: hash the shared test password once.
_DEFAULT_HASH = hash_password(DEFAULT_PASSWORD)


class UserFactory(BaseFactory):
    class Meta:
        model = User

    member = factory.SubFactory(MemberFactory)
    email = factory.Sequence(lambda n: f"person{n}@member.example")
    password_hash = _DEFAULT_HASH
    role = "staff"
