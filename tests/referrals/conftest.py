"""A cast for referral tests: claimant, respondent member, institution and an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.cli.helpers import Cli
from tests.factories.members import MemberFactory
from tests.factories.referrals import InstitutionFactory, token_for


@dataclass
class Party:
    member: object
    headers: dict

    @property
    def id(self) -> str:
        return self.member.id


@dataclass
class Cast:
    claimant: Party
    respondent: Party
    institution: Party
    outsider: Party


@pytest.fixture
def cast() -> Cast:
    def party(member):
        return Party(member, token_for(member))

    return Cast(
        claimant=party(MemberFactory(name="Shenzhen Photonics Co., Ltd.", kind="enterprise", country="CN")),
        respondent=party(MemberFactory(name="Lyon Optique SAS", kind="enterprise", country="FR")),
        institution=party(InstitutionFactory(name="WIPO-style Mediation Centre")),
        outsider=party(MemberFactory(name="Curious Investor Fund", kind="investor", country="US")),
    )


@pytest.fixture
def cli(app) -> Cli:
    return Cli(app)
