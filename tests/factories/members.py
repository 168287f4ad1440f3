import factory

from platform_api.members.models import Member

from .base import BaseFactory


class MemberFactory(BaseFactory):
    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"Member Institution {n}")
    kind = "university"
    country = "CN"
    status = "active"
    email = factory.Sequence(lambda n: f"office{n}@member.example")
    website = None
