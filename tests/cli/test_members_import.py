"""platform-admin members import: all rows or none, errors by physical line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from platform_api.members.models import Member
from tests.factories.members import MemberFactory

from .helpers import audit_events, count

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "members.csv"
HEADER = "name,kind,country,email,website\n"


def write(tmp_path, text: str, name: str = "members.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def sample_rows() -> list[dict]:
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_sample_file_is_varied():
    rows = sample_rows()
    assert 18 <= len(rows) <= 30
    assert {"CN", "DE", "FR", "JP", "KR", "US", "GB", "SG", "CH"} <= {r["country"] for r in rows}
    assert {"university", "investor", "financial_institution", "adr_institution"} <= {r["kind"] for r in rows}


def test_import_creates_every_row_pending_with_one_audit_event(cli, fresh):
    before = count(fresh(), Member)
    data = cli.json("members", "import", str(SAMPLE))
    rows = sample_rows()
    assert data["created"] == len(rows) == len(data["ids"])
    s = fresh()
    assert count(s, Member) == before + len(rows)
    created = s.scalars(select(Member).where(Member.id.in_(data["ids"]))).all()
    assert {m.status for m in created} == {"pending"}
    assert {m.name for m in created} == {r["name"] for r in rows}
    bank = next(m for m in created if m.name.startswith("Bank of Beijing"))
    assert bank.name == "Bank of Beijing Co., Ltd. Zhongguancun Branch" and bank.kind == "financial_institution"
    peking = next(m for m in created if m.name == "北京大学")
    assert peking.email is None and peking.website == "https://www.pku.edu.cn"
    [event] = audit_events(s, "members.import")
    assert event.details == {"count": len(rows), "file": "members.csv"}
    assert audit_events(s, "members.add") == []


def test_import_human_output_and_progress_on_stderr(cli):
    result = cli.ok("members", "import", str(SAMPLE))
    assert result.stdout.strip() == f"Imported {len(sample_rows())} members (status pending) from {SAMPLE}."
    assert "Importing members" in result.stderr


def test_dry_run_validates_and_writes_nothing(cli, fresh):
    before = count(fresh(), Member)
    result = cli.ok("members", "import", str(SAMPLE), "--dry-run")
    assert result.stdout.strip() == f"{len(sample_rows())} rows valid, nothing written (dry run)."
    data = cli.json("members", "import", str(SAMPLE), "--dry-run")
    assert data == {"valid": len(sample_rows()), "created": 0, "ids": [], "dry_run": True}
    assert count(fresh(), Member) == before
    assert audit_events(fresh(), "members.import") == []


def test_a_bad_row_is_reported_by_physical_line_and_nothing_is_written(cli, fresh, tmp_path):
    text = (
        HEADER
        + "Université Paris-Saclay,university,FR,,\n"  # line 2
        + '"A name with a\nline break inside",university,FR,,\n'  # lines 3-4: one quoted record
        + "\n"  # line 5: blank, skipped
        + "Seoul Bank,bank,KR,,\n"  # line 6
        + "Tokyo Ventures,investor,jp,ventures@tokyo,https://tv.example\n"  # line 7
        + ",university,CN,,\n"  # line 8
    )
    before = count(fresh(), Member)
    result = cli.fails(1, "members", "import", write(tmp_path, text), "--json")
    lines = result.stderr.splitlines()
    assert lines[0] == "line 3: name: Must not contain control characters."
    assert lines[1].startswith("line 6: kind: Must be one of: university,")
    assert lines[2].startswith("line 7: country: Must be an ISO 3166-1 alpha-2 country code")
    assert lines[3] == "line 7: email: Not a valid email address."
    assert lines[4] == "line 8: name: Missing data for required field."
    assert lines[5].startswith("Error: 5 problem(s) in ")
    assert count(fresh(), Member) == before
    assert audit_events(fresh(), "members.import") == []


def test_duplicates_in_the_file_are_refused_case_insensitively(cli, fresh, tmp_path):
    text = HEADER + "ETH Zürich,university,CH,,\nKAIST,university,KR,,\neth zürich,university,CH,,\n"
    result = cli.fails(1, "members", "import", write(tmp_path, text))
    assert "line 4: name: same name and country as line 2" in result.stderr
    assert count(fresh(), Member, Member.name.in_(["ETH Zürich", "KAIST"])) == 0


def test_same_name_in_another_country_is_not_a_duplicate(cli, tmp_path):
    text = HEADER + "Global IP Bank,financial_institution,SG,,\nGlobal IP Bank,financial_institution,GB,,\n"
    assert cli.json("members", "import", write(tmp_path, text))["created"] == 2


def test_rows_matching_an_existing_member_are_refused(cli, fresh, tmp_path):
    existing = MemberFactory(name="France Brevets", country="FR", kind="investor")
    result = cli.fails(1, "members", "import", write(tmp_path, HEADER + "FRANCE BREVETS,investor,FR,,\n"))
    assert f"line 2: name: a member with this name in FR exists already (ID {existing.id})" in result.stderr
    assert count(fresh(), Member, Member.country == "FR") == 1


def test_optional_columns_may_be_left_out_and_columns_reordered(cli, fresh, tmp_path):
    data = cli.json("members", "import", write(tmp_path, "country,name,kind\nSG,NUS Enterprise,tech_transfer_agency\n"))
    member = fresh().get(Member, data["ids"][0])
    assert (member.name, member.country, member.email, member.website) == ("NUS Enterprise", "SG", None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        (HEADER, "only a header, no members to import"),
        ("name,kind,email\nX,university,a@b.example\n", "missing required column(s) country"),
        ("name,kind,country,phone\nX,university,CN,123\n", "unknown column(s) 'phone'"),
        ("name,kind,country,country\nX,university,CN,CN\n", "repeated column(s) country"),
        (HEADER + '"Unterminated,university,CN,,\n', "malformed CSV"),
    ],
)
def test_unusable_files_are_refused_clearly(cli, fresh, tmp_path, text, message):
    before = count(fresh(), Member)
    result = cli.fails(1, "members", "import", write(tmp_path, text))
    assert message in result.stderr
    assert count(fresh(), Member) == before


def test_too_many_cells_is_reported_by_line(cli, tmp_path):
    result = cli.fails(1, "members", "import", write(tmp_path, HEADER + "A,university,CN,,,extra\n"))
    assert "line 2: expected 5 columns, found 6" in result.stderr


def test_a_file_that_is_not_utf8_is_refused(cli, tmp_path):
    path = write(tmp_path, HEADER + "Universität Köln,university,DE,,\n", encoding="latin-1")
    assert "not UTF-8" in cli.fails(1, "members", "import", path).stderr


def test_a_missing_file_is_a_usage_error(cli, tmp_path):
    result = cli("members", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_json_output_is_one_value_even_with_the_progress_bar(cli, tmp_path):
    result = cli.ok("members", "import", write(tmp_path, HEADER + "KAIST,university,KR,,\n"), "--json")
    assert json.loads(result.stdout)["created"] == 1


def test_a_spreadsheet_export_with_bom_and_crlf_is_read(cli, fresh, tmp_path):
    text = "\ufeffName,Kind,Country\r\n東京大学,university,JP\r\n"
    data = cli.json("members", "import", write(tmp_path, text))
    assert fresh().get(Member, data["ids"][0]).name == "東京大学"
