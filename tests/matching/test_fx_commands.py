from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from platform_api.audit.models import AuditEvent
from platform_api.matching.models import FxRate
from tests.cli.helpers import Cli


@pytest.fixture
def cli(app):
    return Cli(app)


def write(tmp_path, text, name="rates.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rates(db_session):
    db_session.expire_all()
    return {(r.rate_date.isoformat(), r.base, r.quote): r.rate for r in db_session.scalars(select(FxRate))}


def test_load_and_list(cli, tmp_path, db_session):
    path = write(tmp_path, "date,base,quote,rate\n2026-11-01,CNY,EUR,0.1288\n2026-10-01,CNY,EUR,0.1250\n"
                           "2026-11-01,usd,cny,7.1\n")
    out = cli.json("fx", "load", path)
    assert out == {"valid": 3, "inserted": 3, "replaced": 0, "pairs": ["CNY/EUR", "USD/CNY"]}
    assert rates(db_session)[("2026-11-01", "CNY", "EUR")] == Decimal("0.1288")
    listed = cli.json("fx", "list")
    assert listed == [{"base": "CNY", "quote": "EUR", "rate": "0.1288", "date": "2026-11-01"},
                      {"base": "USD", "quote": "CNY", "rate": "7.1", "date": "2026-11-01"}]
    text = cli.ok("fx", "list").stdout
    assert "CNY" in text and "0.1288" in text
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "fx.load")).one()
    assert event.details["inserted"] == 3


def test_reloading_replaces_a_days_rate(cli, tmp_path, db_session):
    cli.ok("fx", "load", write(tmp_path, "date,base,quote,rate\n2026-11-01,CNY,EUR,0.1288\n"))
    out = cli.json("fx", "load", write(tmp_path, "date,base,quote,rate\n2026-11-01,CNY,EUR,0.1290\n"
                                                  "2026-11-02,CNY,EUR,0.1291\n", "b.csv"))
    assert (out["inserted"], out["replaced"]) == (1, 1)
    assert rates(db_session)[("2026-11-01", "CNY", "EUR")] == Decimal("0.1290")
    again = cli.ok("fx", "load", write(tmp_path, "date,base,quote,rate\n2026-11-02,CNY,EUR,0.1291\n", "c.csv"))
    assert "0 new, 0 replaced, 1 unchanged" in again.stdout


def test_every_row_is_checked_before_anything_is_written(cli, tmp_path, db_session):
    bad = ("date,base,quote,rate\n"
           "2026-11-01,CNY,EUR,0.1288\n"
           "01/11/2026,CNY,EUR,0.1\n"
           "2026-11-01,CNY,XYZ,0.1\n"
           "2026-11-01,EUR,EUR,1\n"
           "2026-11-01,CNY,USD,-1\n"
           "2026-11-01,CNY,USD,abc\n"
           "2026-11-01,CNY,EUR,0.13\n"
           "2026-11-01,CNY\n")
    result = cli.fails(1, "fx", "load", write(tmp_path, bad))
    err = result.stderr
    assert "line 3: date: '01/11/2026' is not a date YYYY-MM-DD" in err
    assert "line 4: quote: 'XYZ' is not an ISO 4217 currency code" in err
    assert "line 5: quote: must differ from base" in err
    assert "line 6: rate: '-1' is not a positive decimal" in err
    assert "line 7: rate: 'abc'" in err
    assert "line 8: the CNY/EUR rate of 2026-11-01 is also on line 2" in err
    assert "line 9: expected 4 columns, found 2" in err
    assert "nothing was written" in err
    assert rates(db_session) == {}


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("day,base,quote,rate\n2026-11-01,CNY,EUR,1\n",
     "line 1: bad header: unknown column(s) 'day'; missing required column(s) date. Columns: date,base,quote,rate."),
    ("date,base,quote,rate\n", "only a header"),
])
def test_bad_files(cli, tmp_path, text, message):
    assert message in cli.fails(1, "fx", "load", write(tmp_path, text)).stderr


def test_the_header_names_the_columns_in_any_order_and_case(cli, tmp_path, db_session):
    cli.ok("fx", "load", write(tmp_path, "Base,QUOTE,date,Rate\nCNY,EUR,2026-11-01,0.1288\n"))
    assert rates(db_session) == {("2026-11-01", "CNY", "EUR"): Decimal("0.1288")}


def test_dry_run_writes_nothing(cli, tmp_path, db_session):
    out = cli.json("fx", "load", write(tmp_path, "date,base,quote,rate\n2026-11-01,CNY,EUR,0.1288\n"), "--dry-run")
    assert out["dry_run"] is True and out["valid"] == 1
    assert rates(db_session) == {}
    assert cli.ok("fx", "list").stdout.strip() == "No FX rates loaded."


def test_rates_dated_in_the_future_wait_their_day(db_session):
    from platform_api.matching import fx

    db_session.add_all([FxRate(rate_date=date(2026, 1, 1), base="CNY", quote="EUR", rate=Decimal("0.12")),
                        FxRate(rate_date=date(2026, 6, 1), base="CNY", quote="EUR", rate=Decimal("0.13"))])
    db_session.flush()
    assert fx.latest_rates(db_session, {"CNY", "EUR"}, on=date(2026, 3, 1))[("CNY", "EUR")].rate == Decimal("0.12")
    assert fx.latest_rates(db_session, {"CNY", "EUR"}, on=date(2026, 7, 1))[("CNY", "EUR")].rate == Decimal("0.13")
    assert fx.latest_rates(db_session, {"CNY", "EUR"}, on=date(2025, 7, 1)) == {}
