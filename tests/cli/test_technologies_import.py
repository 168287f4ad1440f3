"""platform-admin technologies import: catalogues in CSV or JSON Lines, all rows or none."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from platform_api.technologies import services
from platform_api.technologies.models import FIELDS, Technology, TechnologyOffice, deal_mask
from platform_api.technologies.schemas import TechnologyCreateSchema
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token
from tests.factories.technologies import technology_body

from .helpers import audit_events, count

DATA = Path(__file__).resolve().parent.parent / "data"
JSONL, CSV = DATA / "technologies.jsonl", DATA / "technologies.csv"
STORED = ("title", "summary", "keywords", "field", "ipc", "trl", "ip_rights", "deal_types", "deal_mask",
          "price_amount", "price_currency", "origin_country", "countries_available")


def sample() -> list[dict]:
    return [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def jsonl(tmp_path, rows, name: str = "catalogue.jsonl") -> str:
    return write(tmp_path, name, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def headers_of(member) -> dict:
    _token, value = make_token(ClientFactory(member=member), scopes=["technologies:read"])
    return {"Authorization": f"Bearer {value}"}


def stored_rows(session, ids) -> list[Technology]:
    by_id = {t.id: t for t in session.scalars(select(Technology).where(Technology.id.in_(ids)))}
    return [by_id[i] for i in ids]


# --- the sample catalogue ---------------------------------------------------------------------


def test_the_sample_catalogue_is_varied_and_valid():
    rows = sample()
    assert len(rows) == 300
    schema = TechnologyCreateSchema()
    for row in rows:
        schema.load(row)
    langs = {lang for r in rows for lang in r["title"]}
    assert {"en", "zh", "fr", "de", "ja", "ko"} <= langs
    assert {r["field"] for r in rows} == set(FIELDS)
    assert {r["trl"] for r in rows} == set(range(1, 10))
    assert {"CN", "EP", "US", "WO", "JP", "KR", "DE"} <= {x["office"] for r in rows for x in r["ip_rights"]}
    assert {"CNY", "EUR", "USD", "JPY", None} == {(r["asking_price"] or {}).get("currency") for r in rows}
    origins = [r["origin_country"] for r in rows]
    assert origins.count("CN") > len(rows) / 2 and len(set(origins)) >= 6
    assert len({json.dumps(r["title"], ensure_ascii=False) for r in rows}) == len(rows)
    titles = [t for r in rows for t in r["title"].values()]
    for words in ("半导体光刻胶配方", "Solid-state lithium battery electrolyte", "Procédé de recyclage de composites carbone"):
        assert any(words in t for t in titles), words


def test_the_generator_is_deterministic_and_writes_both_formats(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", DATA.parent.parent / "scripts" / "make_sample_technologies.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.main(["--count", "300", "--out", str(tmp_path / "again.jsonl")])
    assert (tmp_path / "again.jsonl").read_text(encoding="utf-8") == JSONL.read_text(encoding="utf-8")
    gen.main(["--count", "60", "--out", str(tmp_path / "again.csv")])
    assert (tmp_path / "again.csv").read_text(encoding="utf-8") == CSV.read_text(encoding="utf-8")
    gen.main(["--count", "5", "--seed", "7", "--owner", "o-1", "--out", str(tmp_path / "x.ndjson")])
    assert [json.loads(x)["owner_id"] for x in (tmp_path / "x.ndjson").read_text().splitlines()] == ["o-1"] * 5


def test_import_jsonl_as_drafts_of_the_owner(cli, fresh):
    owner = MemberFactory(name="清华大学技术转移研究院")
    result = cli.ok("technologies", "import", str(JSONL), "--owner", owner.id, "--json")
    data = json.loads(result.stdout)
    assert data["created"] == 300 and data["published"] is False and len(data["ids"]) == 300
    assert sum(data["by_field"].values()) == 300
    assert "Checking listings" in result.stderr and "Importing listings" in result.stderr
    s = fresh()
    techs = stored_rows(s, data["ids"])
    assert {(t.status, t.owner_id, t.published_at, t.version) for t in techs} == {("draft", owner.id, None, 1)}
    first = sample()[0]
    assert techs[0].title == first["title"] and techs[0].ip_rights == first["ip_rights"]
    assert count(s, TechnologyOffice, TechnologyOffice.technology_id.in_(data["ids"])) == sum(
        len({x["office"] for x in r["ip_rights"]}) for r in sample())
    [event] = audit_events(s, "technologies.import")
    assert event.details == {"count": 300, "file": "technologies.jsonl", "published": False}
    assert event.target_type == "technology"


def test_import_csv_as_published_listings(cli, fresh):
    owner = MemberFactory()
    result = cli.ok("technologies", "import", str(CSV), "--owner", owner.id, "--publish")
    assert result.stdout.startswith(f"Imported 60 listings from {CSV} as published.")
    assert "field " in result.stdout and "listings" in result.stdout
    s = fresh()
    techs = s.scalars(select(Technology).where(Technology.owner_id == owner.id)).all()
    assert len(techs) == 60 and {t.status for t in techs} == {"published"}
    assert all(t.published_at is not None and t.published_at == t.created_at for t in techs)
    [event] = audit_events(s, "technologies.import")
    assert event.details == {"count": 60, "file": "technologies.csv", "published": True}


def test_csv_and_jsonl_give_what_the_api_would_store(cli, fresh, db_session):
    """Both formats describe the same listings, stored in the same shapes as services.create."""
    owner = MemberFactory()
    from_csv = cli.json("technologies", "import", str(CSV), "--owner", owner.id)["ids"]
    from_jsonl = cli.json("technologies", "import", str(JSONL), "--owner", owner.id)["ids"][:60]
    schema = TechnologyCreateSchema()
    via_api = [services.create(session=db_session, owner=owner, data=schema.load(r)).id for r in sample()[:60]]
    s = fresh()
    for csv_tech, jsonl_tech, api_tech in zip(stored_rows(s, from_csv), stored_rows(s, from_jsonl), stored_rows(s, via_api)):
        expected = {k: getattr(api_tech, k) for k in STORED}
        assert {k: getattr(csv_tech, k) for k in STORED} == expected
        assert {k: getattr(jsonl_tech, k) for k in STORED} == expected
    offices = lambda ids: sorted(  # noqa: E731
        (ids.index(t), o) for t, o in s.execute(select(TechnologyOffice.technology_id, TechnologyOffice.office)
                                                .where(TechnologyOffice.technology_id.in_(ids))))
    assert offices(from_csv) == offices(via_api)


def test_imported_listings_are_searchable_through_the_api(cli, client):
    owner, reader = MemberFactory(), MemberFactory()
    ids_in_order = cli.json("technologies", "import", str(JSONL), "--owner", owner.id, "--publish")["ids"]
    ids = set(ids_in_order)
    rows = sample()
    h = headers_of(reader)

    def found(q: str) -> set[str]:
        resp = client.get("/v1/technologies", query_string={"q": q, "limit": 100}, headers=h)
        assert resp.status_code == 200, resp.json
        return {t["id"] for t in resp.json["data"]} & ids

    with_photoresist = {i for i, r in enumerate(rows) if any("光刻" in t for t in r["title"].values())}
    assert with_photoresist and found("光刻") >= {ids_in_order[i] for i in with_photoresist}
    for lang in ("fr", "de", "ja", "ko", "en"):  # a word of the first title written in each language
        i, title = next((i, r["title"][lang]) for i, r in enumerate(rows) if lang in r["title"])
        q = title[:4] if lang in ("ja", "ko") else max(title.split(), key=len)
        assert ids_in_order[i] in found(q), (lang, q)
    resp = client.get("/v1/technologies", query_string={"office": "KR", "deal_type": "assignment", "limit": 100}, headers=h)
    expected = sum(1 for r in rows if "assignment" in r["deal_types"] and any(x["office"] == "KR" for x in r["ip_rights"]))
    assert len({t["id"] for t in resp.json["data"]} & ids) == min(expected, 100)


def test_drafts_are_not_visible_to_other_members_but_searchable_for_staff(cli, client):
    owner = MemberFactory()
    ids = cli.json("technologies", "import", str(CSV), "--owner", owner.id)["ids"]
    resp = client.get("/v1/technologies", query_string={"q": "battery"}, headers=headers_of(MemberFactory()))
    assert not {t["id"] for t in resp.json["data"]} & set(ids)
    staff = cli.json("technologies", "list", "--search", "battery", "--status", "draft")
    assert staff and {t["id"] for t in staff} <= set(ids)


def test_dry_run_checks_everything_and_writes_nothing(cli, fresh):
    owner = MemberFactory()
    before = count(fresh(), Technology)
    result = cli.ok("technologies", "import", str(JSONL), "--owner", owner.id, "--dry-run")
    assert result.stdout.startswith("300 rows valid, nothing written (dry run).")
    data = cli.json("technologies", "import", str(CSV), "--owner", owner.id, "--dry-run", "--publish")
    assert (data["valid"], data["created"], data["ids"], data["dry_run"], data["published"]) == (60, 0, [], True, True)
    assert count(fresh(), Technology) == before
    assert audit_events(fresh(), "technologies.import") == []
    bad = cli.fails(1, "technologies", "import", str(CSV), "--owner", MemberFactory(status="suspended").id, "--dry-run")
    assert "suspended" in bad.stderr


def test_ids_are_left_out_of_big_imports(cli, monkeypatch):
    from platform_api.technologies import commands

    monkeypatch.setattr(commands, "MAX_IDS", 59)
    data = cli.json("technologies", "import", str(CSV), "--owner", MemberFactory().id)
    assert data["created"] == 60 and "ids" not in data


# --- owners -----------------------------------------------------------------------------------


def test_rows_may_name_their_own_owners(cli, fresh, tmp_path):
    a, b = MemberFactory(), MemberFactory(country="DE")
    rows = [{"owner_id": a.id, **technology_body()}, {"owner_id": b.id, **technology_body()}]
    ids = cli.json("technologies", "import", jsonl(tmp_path, rows))["ids"]
    assert [t.owner_id for t in stored_rows(fresh(), ids)] == [a.id, b.id]


@pytest.mark.parametrize(("status", "message"), [("pending", "is pending"), ("suspended", "is suspended"),
                                                  ("terminated", "is terminated")])
def test_owner_must_be_an_active_member(cli, fresh, status, message):
    member = MemberFactory(status=status)
    result = cli.fails(1, "technologies", "import", str(CSV), "--owner", member.id)
    assert f"--owner {member.id} ({member.name}) {message}; only active members may own listings." in result.stderr
    assert count(fresh(), Technology) == 0


@pytest.mark.parametrize("owner", ["nope", "00000000-0000-0000-0000-000000000000", "abc\x00"])
def test_unknown_owner_is_refused_before_the_file_is_read(cli, tmp_path, owner):
    path = write(tmp_path, "broken.jsonl", "{not json\n")
    result = cli.fails(1, "technologies", "import", path, "--owner", owner)
    assert "No member with ID" in result.stderr and "--owner" in result.stderr
    assert "line 1" not in result.stderr


def test_row_owners_are_checked_line_by_line(cli, fresh, tmp_path):
    active, suspended = MemberFactory(), MemberFactory(status="suspended", name="Dormant Lab")
    rows = [
        {"owner_id": active.id, **technology_body()},  # line 1
        {**technology_body()},  # line 2: no owner
        {"owner_id": "00000000-0000-0000-0000-000000000000", **technology_body()},  # line 3
        {"owner_id": suspended.id, **technology_body()},  # line 4
        {"owner_id": 42, **technology_body()},  # line 5
        {"owner_id": suspended.id, **technology_body(trl=0)},  # line 6: both problems at once
    ]
    result = cli.fails(1, "technologies", "import", jsonl(tmp_path, rows))
    assert result.stderr.splitlines() == [
        "Checking listings",
        "line 2: /owner_id: Missing: give each row an owner_id, or use --owner.",
        "line 3: /owner_id: No member with this ID.",
        "line 4: /owner_id: Dormant Lab is suspended; only active members may own listings.",
        "line 5: /owner_id: Must be a member ID.",
        "line 6: /trl: Must be a TRL from 1 to 9.",
        "line 6: /owner_id: Dormant Lab is suspended; only active members may own listings.",
        f"Error: 6 problem(s) in {tmp_path / 'catalogue.jsonl'}; nothing was written.",
    ]
    assert count(fresh(), Technology) == 0


def test_a_row_naming_another_owner_than_the_option_is_refused(cli, tmp_path):
    a, b = MemberFactory(), MemberFactory()
    rows = [{"owner_id": a.id, **technology_body()}, {"owner_id": b.id, **technology_body()}, technology_body()]
    result = cli.fails(1, "technologies", "import", jsonl(tmp_path, rows), "--owner", a.id)
    assert f"line 2: /owner_id: differs from --owner {a.id}" in result.stderr
    assert "line 1" not in result.stderr and "line 3" not in result.stderr


def test_csv_without_owner_column_needs_the_option(cli):
    result = cli.fails(1, "technologies", "import", str(CSV))
    assert "missing required column(s) owner_id (or give --owner)" in result.stderr


# --- bad files --------------------------------------------------------------------------------


def test_bad_jsonl_rows_are_reported_by_physical_line_and_nothing_is_written(cli, fresh, tmp_path):
    owner = MemberFactory()
    lines = [
        json.dumps(technology_body()),  # 1
        "",  # 2: blank, skipped
        json.dumps(technology_body(field="quantum", title={"en": "Ok", "xx-!": "bad"})),  # 3
        "{not json",  # 4
        "[1, 2]",  # 5
        json.dumps(technology_body(ip_rights=[{"kind": "invention_patent", "office": "US", "number": "12", "status": "granted"}])),  # 6
        json.dumps({**technology_body(), "status": "published"}),  # 7: read-only fields are refused
        json.dumps(technology_body(asking_price={"amount": 2500000, "currency": "CNY"})),  # 8
        json.dumps(technology_body(summary={"en": "Line\u2028separator is fine inside a JSON string."})),  # 9
    ]
    path = write(tmp_path, "catalogue.ndjson", "\n".join(lines) + "\n")
    result = cli.fails(1, "technologies", "import", path, "--owner", owner.id, "--json")
    problems = result.stderr.splitlines()[1:-1]
    assert problems[0] == "line 3: /title/xx-!: Not a language tag (use en, zh, fr, de, ja, zh-Hant...)."
    assert problems[1].startswith("line 3: /field: Must be one of: biomedicine,")
    assert problems[2].startswith("line 4: not valid JSON: ")
    assert problems[3] == "line 5: must be a JSON object (one listing per line)"
    assert problems[4] == "line 6: /ip_rights/0/number: Does not look like a US application or registration number."
    assert problems[5] == "line 7: /status: Unknown field."
    assert problems[6].startswith("line 8: /asking_price/amount: Must be a decimal string")
    assert len(problems) == 7
    assert count(fresh(), Technology) == 0 and audit_events(fresh(), "technologies.import") == []


def csv_text(rows: list[dict], header: list[str]) -> str:
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


HEADER = ["title_en", "title_zh", "summary_en", "field", "trl", "ipc", "keywords", "deal_types", "price_amount",
          "price_currency", "origin_country", "countries_available", "ip_rights"]
GOOD = {"title_en": "Sodium-ion battery hard-carbon anode", "title_zh": "钠离子电池硬碳负极",
        "summary_en": "Hard carbon from coconut shells.", "field": "new_energy", "trl": "6",
        "ipc": "H01M 4/587; h01m 10/054", "keywords": "sodium-ion battery;hard carbon;", "deal_types": "assignment",
        "price_amount": "1500000.00", "price_currency": "CNY", "origin_country": "CN", "countries_available": "CN;DE",
        "ip_rights": "invention_patent|CN|ZL202010123456.7|granted|2020-03-01|2040-03-01;invention_patent|EP|EP 3456789 B1|granted"}


def test_a_csv_row_is_read_as_the_api_body(cli, fresh, tmp_path):
    owner = MemberFactory()
    negotiable = {**GOOD, "price_amount": "", "price_currency": "", "title_en": "", "countries_available": "",
                  "ip_rights": json.dumps([{"kind": "utility_model", "office": "CN", "number": "ZL202120123456.1",
                                            "status": "pending", "filed_on": "2021-05-01"}])}
    ids = cli.json("technologies", "import", write(tmp_path, "c.csv", csv_text([GOOD, negotiable], HEADER)),
                   "--owner", owner.id)["ids"]
    first, second = stored_rows(fresh(), ids)
    assert first.title == {"en": "Sodium-ion battery hard-carbon anode", "zh": "钠离子电池硬碳负极"}
    assert first.ipc == ["H01M 4/587", "H01M 10/054"] and first.keywords == ["sodium-ion battery", "hard carbon"]
    assert first.trl == 6 and first.deal_mask == deal_mask(["assignment"]) and first.countries_available == ["CN", "DE"]
    assert (str(first.price_amount), first.price_currency) == ("1500000.00", "CNY")
    assert first.ip_rights == [
        {"kind": "invention_patent", "office": "CN", "number": "ZL202010123456.7", "status": "granted",
         "filed_on": "2020-03-01", "expires_on": "2040-03-01"},
        {"kind": "invention_patent", "office": "EP", "number": "EP 3456789 B1", "status": "granted",
         "filed_on": None, "expires_on": None},
    ]
    assert second.title == {"zh": "钠离子电池硬碳负极"} and second.price_amount is None and second.price_currency is None
    assert second.countries_available == [] and second.ip_rights[0]["kind"] == "utility_model"


def test_bad_csv_rows_are_reported_by_physical_line(cli, fresh, tmp_path):
    rows = [
        GOOD,  # line 2
        {**GOOD, "title_en": "A title\nover two lines"},  # lines 3-4: one quoted record
        {**GOOD, "trl": "six", "price_currency": ""},  # line 5
        {**GOOD, "ip_rights": "invention_patent|CN|ZL202010123456.7"},  # line 6
        {**GOOD, "ip_rights": "[not json"},  # line 7
        {**GOOD, "deal_types": "assignment;licence", "origin_country": "cn"},  # line 8
    ]
    text = csv_text(rows, HEADER)
    result = cli.fails(1, "technologies", "import", write(tmp_path, "c.csv", text), "--owner", MemberFactory().id)
    assert result.stderr.splitlines()[1:-1] == [
        "line 3: /title/en: Must not contain control characters.",
        "line 5: /trl: Not a valid integer.",
        "line 5: /asking_price/currency: Missing data for required field.",
        "line 6: /ip_rights/0: expected kind|office|number|status[|filed_on[|expires_on]], found 3 part(s)",
        "line 7: /ip_rights: not a valid JSON array: Expecting value",
        "line 8: /deal_types/1: Must be one of: assignment, exclusive_license, sole_license, non_exclusive_license, "
        "open_license, pledge_financing, equity_investment, joint_development, technical_service.",
        "line 8: /origin_country: Must be an ISO 3166-1 alpha-2 country code in upper case, such as CN or DE.",
    ]
    assert count(fresh(), Technology) == 0


def test_many_problems_are_capped_on_screen_but_all_counted(cli, tmp_path):
    rows = [{**GOOD, "trl": "0"}] * 250
    result = cli.fails(1, "technologies", "import", write(tmp_path, "c.csv", csv_text(rows, HEADER)),
                       "--owner", MemberFactory().id)
    assert "... and 50 more problem(s) not shown." in result.stderr
    assert "Error: 250 problem(s) in" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        (",".join(HEADER) + "\n", "no listings to import"),
        ("title_en,summary_en,field,trl,deal_types,origin_country,phone\n", "unknown column(s) 'phone'"),
        ("title_english,summary_en,field,trl,deal_types,origin_country\n", "'title_english' ('english' is not a language tag)"),
        ("title_en,summary_en,field,trl,deal_types\n", "missing required column(s) origin_country"),
        ("summary_en,field,trl,deal_types,origin_country\n", "missing required column(s) title_<lang>"),
        ("title_en,title_en,summary_en,field,trl,deal_types,origin_country\n", "repeated column(s) title_en"),
        (",".join(HEADER) + '\n"Unterminated,x\n', "malformed CSV"),
    ],
)
def test_unusable_csv_files_are_refused_clearly(cli, fresh, tmp_path, text, message):
    result = cli.fails(1, "technologies", "import", write(tmp_path, "c.csv", text), "--owner", MemberFactory().id)
    assert message in result.stderr
    assert count(fresh(), Technology) == 0


def test_too_many_cells_is_reported_by_line(cli, tmp_path):
    text = csv_text([GOOD], HEADER).rstrip("\n") + ",extra\n"
    result = cli.fails(1, "technologies", "import", write(tmp_path, "c.csv", text), "--owner", MemberFactory().id)
    assert f"line 2: expected {len(HEADER)} columns, found {len(HEADER) + 1}" in result.stderr


@pytest.mark.parametrize("name", ["catalogue.xlsx", "catalogue.json", "catalogue"])
def test_unknown_extensions_are_refused(cli, tmp_path, name):
    result = cli.fails(1, "technologies", "import", write(tmp_path, name, "{}\n"), "--owner", MemberFactory().id)
    assert "cannot tell the format from the file name; name it .csv, .jsonl or .ndjson." in result.stderr


def test_not_utf8_is_refused(cli, tmp_path):
    path = write(tmp_path, "c.csv", csv_text([{**GOOD, "title_en": "Procédé", "title_zh": ""}], HEADER), encoding="latin-1")
    assert "not UTF-8" in cli.fails(1, "technologies", "import", path, "--owner", MemberFactory().id).stderr


def test_a_spreadsheet_export_with_bom_crlf_and_upper_case_header_is_read(cli, fresh, tmp_path):
    header, record = csv_text([GOOD], HEADER).split("\n", 1)
    header = ",".join(h.capitalize() if h.startswith("title") else h.upper() for h in header.split(","))
    text = "\ufeff" + (header + "\n" + record).replace("\n", "\r\n")
    data = cli.json("technologies", "import", write(tmp_path, "c.csv", text), "--owner", MemberFactory().id)
    assert fresh().get(Technology, data["ids"][0]).title["zh"] == "钠离子电池硬碳负极"


def test_a_missing_file_is_a_usage_error(cli, tmp_path):
    result = cli("technologies", "import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_nothing_is_left_behind_when_the_write_fails(cli, fresh, monkeypatch):
    from platform_api.technologies import commands

    def failing(session, techs):
        raise RuntimeError("search index unavailable")

    monkeypatch.setattr(commands.search, "index_many", failing)
    with pytest.raises(RuntimeError):
        cli("technologies", "import", str(CSV), "--owner", MemberFactory().id)
    s = fresh()
    assert count(s, Technology) == 0 and count(s, TechnologyOffice) == 0
    assert s.scalar(select(func.count()).select_from(sql("technology_search"))) == 0
    assert audit_events(s, "technologies.import") == []
