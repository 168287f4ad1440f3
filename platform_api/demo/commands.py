"""platform-admin demo: load a multilingual demo catalogue into an empty platform."""

from __future__ import annotations

import click

from ..audit.services import record
from ..cli import AdminCommand, AdminContext, emit, json_option, pass_admin, table
from ..db import utcnow
from . import services


_WORDS = {"members": ("member", "members"), "technologies": ("listing", "listings"),
          "investor_profiles": ("investor profile", "investor profiles"), "matches": ("match", "matches"),
          "referrals": ("referral", "referrals"), "fx_rates": ("FX rate", "FX rates")}


def _count(n: int, name: str) -> str:
    return f"{n} {_WORDS[name][0 if n == 1 else 1]}"


@click.command("demo", cls=AdminCommand, epilog="Run it once per database: a second run finds the demo "
               "members and refuses (exit 1), writing nothing. --json prints the IDs of everything created, "
               "keyed as in platform_api/demo/catalogue.py (members.huaxia.id...).")
@json_option
@pass_admin
def demo(admin: AdminContext, as_json: bool) -> None:
    """Load the demo catalogue: 10 members, 11 listings, 3 investor profiles, 2 matches, 1 referral.

    Everything goes through the same rules as the API (validation, search index, events): members
    of all eight kinds in eight countries, all approved; listings in Chinese, English, German, Japanese,
    Korean and French, published but one awaiting review; FX rates for today; a match accepted,
    one closed with a deal; a mediation referral acknowledged by its centre.
    """
    with admin.transaction() as session:
        summary = services.load(session=session, today=utcnow().date())
        counts = {name: len(summary[name]) for name in ("members", "technologies", "investor_profiles",
                                                         "matches", "referrals")}
        record(session=session, action="demo.load", target_type="database", target_id=None,
               details={**counts, "fx_rates": summary["fx_rates"]})
    rows = [(k, m["id"], m["kind"], m["country"], m["name"]) for k, m in summary["members"].items()]
    text = "\n".join([
        "Loaded the demo catalogue: " + ", ".join(_count(n, name) for name, n in counts.items())
        + f", {_count(summary['fx_rates'], 'fx_rates')}.",
        "",
        table(("key", "member id", "kind", "country", "name"), rows),
        "",
        "Listings: platform-admin technologies list; the one awaiting review: platform-admin technologies review-queue.",
    ])
    emit(as_json, summary, text)
