"""Member and person standing: the features above members react, and a sender with no receiver refuses."""

from __future__ import annotations

import pytest
from blinker import Namespace

from platform_api.accounts import services as accounts
from platform_api.members import signals
from platform_api.oauth import services as oauth


def test_nothing_listening_is_refused_not_silent():
    lonely = Namespace().signal("lonely")
    with pytest.raises(RuntimeError, match="nothing is connected"):
        signals.send(lonely, "suspend")


def test_the_app_connects_the_credential_holders(app):
    receivers = {r for r in signals.member_status_changed.receivers_for("suspend")}
    assert oauth.on_member_status_changed in receivers
    assert accounts.on_member_status_changed in receivers
    assert oauth.on_user_disabled in set(signals.user_disabled.receivers_for("disable"))


def test_effects_are_merged_in_connection_order():
    ns = Namespace()
    signal = ns.signal("s")

    def first(_sender, **_kw):
        return {"a": 1}

    def second(_sender, **_kw):
        return {"b": 2}

    signal.connect(first)
    signal.connect(second)
    assert list(signals.send(signal, "x").items()) == [("a", 1), ("b", 2)]
