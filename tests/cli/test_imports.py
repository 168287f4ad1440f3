"""The shared import pipeline (platform_api/cli/imports.py), on its own and through a small importer."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from marshmallow import Schema, ValidationError, fields, validate

from platform_api.cli import AdminCommand, AdminError, emit, json_option
from platform_api.cli.imports import MAX_SHOWN, Columns, Problems, UnknownColumn, load, read

COLUMNS = Columns(required=("name",), optional=("count",))


class ThingSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=5))
    count = fields.Integer()


def write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def refusal(call) -> str:
    with pytest.raises(AdminError) as info:
        call()
    return info.value.message


# --- reading --------------------------------------------------------------------------------


def test_csv_records_start_on_their_physical_line_and_blank_records_are_skipped(tmp_path):
    text = 'name,count\nA,1\n\n"B\nC",2\nD,\n , \n'
    source = read(write(tmp_path, "t.csv", text), columns=COLUMNS)
    assert source.format == "csv"
    assert [(r.line, r.fields) for r in source.records] == [
        (2, {"name": "A", "count": "1"}),
        (4, {"name": "B\nC", "count": "2"}),  # a quoted record over lines 4-5
        (6, {"name": "D"}),  # an empty cell is absent
    ]
    assert not source.problems


def test_jsonl_records_are_objects_by_line(tmp_path):
    text = '{"name": "A"}\n\n{"name": "B\u2028C", "count": 2}\r\n'
    source = read(write(tmp_path, "t.jsonl", text))
    assert source.format == "jsonl"
    assert [(r.line, r.fields) for r in source.records] == [(1, {"name": "A"}), (3, {"name": "B\u2028C", "count": 2})]


def test_the_format_comes_from_the_extension_or_is_given(tmp_path):
    assert read(write(tmp_path, "t.ndjson", '{"name": "A"}\n')).format == "jsonl"
    assert read(write(tmp_path, "T.CSV", "name\nA\n"), columns=COLUMNS).format == "csv"
    assert read(write(tmp_path, "t.txt", "name\nA\n"), columns=COLUMNS, format="csv").format == "csv"
    path = write(tmp_path, "t.txt", "name\nA\n")
    assert refusal(lambda: read(path, columns=COLUMNS)) == (
        f"{path}: cannot tell the format from the file name; name it .csv, .jsonl or .ndjson.")
    # Without columns, CSV is not a format this importer reads.
    path = write(tmp_path, "t.csv", "name\nA\n")
    assert refusal(lambda: read(path)) == (
        f"{path}: cannot tell the format from the file name; name it .jsonl or .ndjson.")


def test_a_byte_order_mark_and_crlf_are_read(tmp_path):
    source = read(write(tmp_path, "t.csv", "\ufeffName,COUNT\r\nA,1\r\nB,2\r\n"), columns=COLUMNS)
    assert [(r.line, r.fields) for r in source.records] == [(2, {"name": "A", "count": "1"}),
                                                             (3, {"name": "B", "count": "2"})]
    source = read(write(tmp_path, "t.jsonl", '\ufeff{"name": "A"}\n'))
    assert [r.fields for r in source.records] == [{"name": "A"}]


def test_a_file_that_is_not_utf8_or_cannot_be_read_is_refused(tmp_path):
    path = write(tmp_path, "t.csv", "name\nKöln\n", encoding="latin-1")
    assert refusal(lambda: read(path, columns=COLUMNS)) == f"{path}: not UTF-8 text (bad byte at offset 6)."
    assert refusal(lambda: read(str(tmp_path), columns=COLUMNS, format="csv")) == f"{tmp_path}: Is a directory."


def test_malformed_csv_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, "t.csv", 'name,count\nA,1\n"Unclosed,2\nB,3\n')
    message = refusal(lambda: read(path, columns=COLUMNS))
    assert message.startswith(f"{path}: line 3: malformed CSV: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty; expected a header line. Columns: name,count (count optional)."),
        ("\n \n", "the file is empty; expected a header line. Columns: name,count (count optional)."),
        ("\nname\nA\n", "line 2: the header must be on line 1."),
        ("name,count\n", "only a header, no things to import."),
        ("Name,colour,NAME,,count\nA,red,A,,1\n",
         "line 1: bad header: unknown column(s) 'colour', ''; repeated column(s) name. "
         "Columns: name,count (count optional)."),
        ("count,size\n1,2\n",
         "line 1: bad header: unknown column(s) 'size'; missing required column(s) name. "
         "Columns: name,count (count optional)."),
    ],
)
def test_header_problems_are_reported_together(tmp_path, text, message):
    path = write(tmp_path, "t.csv", text)
    assert refusal(lambda: read(path, columns=COLUMNS, items="things")) == f"{path}: {message}"


def test_a_column_hook_names_families_of_columns(tmp_path):
    def column(cell: str) -> tuple[str, str]:
        name = cell.strip().lower()
        if name.startswith("title_"):
            if name == "title_xx":
                raise UnknownColumn("'xx' is not a language")
            return name, "title_<lang>"
        return name, name

    columns = Columns(("title_<lang>", "owner"), ("count",), column=column, notes={"owner": "or give --owner"},
                      help="See the help.")
    source = read(write(tmp_path, "t.csv", "TITLE_EN,title_fr,owner\nHello,Bonjour,o-1\n"), columns=columns)
    assert source.records[0].fields == {"title_en": "Hello", "title_fr": "Bonjour", "owner": "o-1"}
    path = write(tmp_path, "t.csv", "title_xx,count\nx,1\n")
    assert refusal(lambda: read(path, columns=columns)) == (
        f"{path}: line 1: bad header: unknown column(s) 'title_xx' ('xx' is not a language); "
        "missing required column(s) title_<lang>, owner (or give --owner). See the help.")


def test_extra_cells_are_a_problem_of_their_line_and_short_records_are_filled(tmp_path):
    source = read(write(tmp_path, "t.csv", "name,count\nA,1,x\nB\nC,3\n"), columns=COLUMNS)
    assert [(r.line, r.fields) for r in source.records] == [(3, {"name": "B"}), (4, {"name": "C", "count": "3"})]
    assert source.problems.lines() == ["line 2: expected 2 columns, found 3"]
    exact = Columns(("name", "count"), exact_width=True)
    source = read(write(tmp_path, "t.csv", "name,count\nA,1,x\nB\nC,3\n"), columns=exact)
    assert source.problems.lines() == ["line 2: expected 2 columns, found 3", "line 3: expected 2 columns, found 1"]


def test_a_json_line_that_is_not_an_object_is_a_problem_of_its_line(tmp_path):
    text = '{"name": "A"}\n[1, 2]\n"text"\n{not json\n'
    source = read(write(tmp_path, "t.jsonl", text), item="thing")
    assert [r.line for r in source.records] == [1]
    assert source.problems.lines() == [
        "line 2: must be a JSON object (one thing per line)",
        "line 3: must be a JSON object (one thing per line)",
        "line 4: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]


def test_an_empty_jsonl_file_has_nothing_to_import(tmp_path):
    path = write(tmp_path, "t.jsonl", "\n\n")
    assert refusal(lambda: read(path, items="things")) == f"{path}: no things to import."


# --- validating and reporting ---------------------------------------------------------------


def test_every_problem_of_every_line_is_collected(tmp_path):
    text = "name,count\nToo long,x\nOK,1\n,2\nFine,3,extra\n"
    rows, problems = load(write(tmp_path, "t.csv", text), ThingSchema(), columns=COLUMNS)
    assert [(r.line, r.value) for r in rows] == [(3, {"name": "OK", "count": 1})]
    assert problems.lines() == [
        "line 2: /name: Longer than maximum length 5.",
        "line 2: /count: Not a valid integer.",
        "line 4: /name: Missing data for required field.",
        "line 5: expected 2 columns, found 3",
    ]
    assert len(problems) == 4


def test_fields_may_be_named_as_columns_instead_of_pointers(tmp_path):
    rows, problems = load(write(tmp_path, "t.csv", "name\nToo long\n"), ThingSchema(), columns=COLUMNS,
                          pointers=False)
    assert rows == [] and problems.lines() == ["line 2: name: Longer than maximum length 5."]


def test_a_callable_validator_may_name_nested_fields_and_the_record(tmp_path):
    def thing(record: dict) -> str:
        if record.get("tags") == ["bad"]:
            raise ValidationError({"tags": {0: ["Not a tag."]}})
        if "name" not in record:
            raise ValidationError("A thing needs a name.")
        return record["name"]

    path = write(tmp_path, "t.jsonl", '{"name": "A"}\n{"name": "B", "tags": ["bad"]}\n{}\n')
    rows, problems = load(path, thing)
    assert [(r.line, r.value) for r in rows] == [(1, "A")]
    assert problems.lines() == ["line 2: /tags/0: Not a tag.", "line 3: A thing needs a name."]


def test_problems_are_listed_by_line_in_the_order_found_within_a_line():
    problems = Problems()
    problems.add(3, "third")
    problems.add(1, "zz first", pointer="/b")
    problems.add(3, "again", pointer="/a")
    problems.add(1, "aa second", pointer="/a")
    assert problems.lines() == ["line 1: /b: zz first", "line 1: /a: aa second", "line 3: third",
                                "line 3: /a: again"]


def test_nothing_is_said_when_there_is_no_problem(capsys):
    Problems().fail_if_any("t.csv")
    assert capsys.readouterr().err == ""


def test_problems_are_listed_on_stderr_capped_and_all_counted(capsys):
    problems = Problems()
    for line in range(2, MAX_SHOWN + 12):
        problems.add(line, "Not a valid integer.", pointer="/count")
    assert refusal(lambda: problems.fail_if_any("t.csv")) == (
        f"{MAX_SHOWN + 10} problem(s) in t.csv; nothing was written.")
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "line 2: /count: Not a valid integer."
    assert len(err) == MAX_SHOWN + 1 and err[-1] == "... and 10 more problem(s) not shown."


# --- an importer built on it ----------------------------------------------------------------

WRITTEN: list = []


@click.command(cls=AdminCommand)
@click.argument("file")
@json_option
def import_things(file: str, as_json: bool) -> None:
    """An importer as the features write them: read, check, then write all or nothing."""
    rows, problems = load(file, ThingSchema(), columns=COLUMNS, items="things")
    for row in rows:
        if row.value["name"] == "Taken":
            problems.add(row.line, "exists already", pointer="/name")
    problems.fail_if_any(file)
    WRITTEN.extend(r.value for r in rows)
    emit(as_json, {"created": len(rows)}, f"Imported {len(rows)} things.")


@pytest.fixture
def run():
    WRITTEN.clear()

    def _run(*args: str):
        return CliRunner().invoke(import_things, list(args), catch_exceptions=False)

    yield _run
    WRITTEN.clear()


def test_a_valid_file_is_written_whole(run, tmp_path):
    result = run(write(tmp_path, "t.jsonl", '{"name": "A"}\n{"name": "B", "count": 2}\n'), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == {"created": 2}
    assert WRITTEN == [{"name": "A"}, {"name": "B", "count": 2}]


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("t.csv", "name,count\nA,1\nB,x\n", "line 3: /count: Not a valid integer."),
        ("t.csv", "name,count\nA,1\nTaken,2\n", "line 3: /name: exists already"),
        ("t.csv", "name,count\nA,1\nB,2,3\n", "line 3: expected 2 columns, found 3"),
        ("t.csv", 'name,count\nA,1\n"B,2\n', "line 3: malformed CSV"),
        ("t.csv", "name,size\nA,1\n", "bad header: unknown column(s) 'size'"),
        ("t.jsonl", '{"name": "A"}\n[1]\n', "line 2: must be a JSON object (one record per line)"),
        ("t.jsonl", '{"name": "A"}\n{"name": "Too long"}\n', "line 2: /name: Longer than maximum length 5."),
    ],
)
def test_nothing_is_written_on_any_problem(run, tmp_path, name, text, said):
    for args in ((), ("--json",)):
        result = run(write(tmp_path, name, text), *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert said in result.stderr and "Error: " in result.stderr
        assert WRITTEN == []


def test_the_report_is_the_same_with_json(run, tmp_path):
    path = write(tmp_path, "t.csv", "name,count\nToo long,1\nTaken,x\n")
    plain, as_json = run(path), run(path, "--json")
    assert plain.stderr == as_json.stderr and plain.stderr.splitlines() == [
        "line 2: /name: Longer than maximum length 5.",
        "line 3: /count: Not a valid integer.",
        f"Error: 2 problem(s) in {path}; nothing was written.",
    ]
