"""Reading config files: every syntax problem becomes a located message, never a traceback."""

from daiban.catalog.sources import parse_text, read_source


def test_yaml_syntax_error_names_its_line_and_column():
    source = parse_text("code: A\nname: [unclosed\nversion: 1\n", "m.yaml")
    (problem,) = source.problems
    assert problem.line == 3
    assert "YAML 语法错误" in problem.message
    assert problem.format().startswith("m.yaml:3:")


def test_empty_file_is_reported():
    (problem,) = parse_text("", "empty.yaml").problems
    assert (problem.line, problem.column) == (1, 1)
    assert "文件是空的" in problem.message


def test_comment_only_file_is_empty_too():
    assert "文件是空的" in parse_text("# nothing here\n", "c.yaml").problems[0].message


def test_json_syntax_error_names_its_line():
    (problem,) = parse_text('{\n  "code": "A",\n  "name": \n}\n', "m.json").problems
    assert problem.line == 4
    assert "JSON 语法错误" in problem.message


def test_positions_of_nested_values():
    text = "code: A\nfields:\n  - id: name\n    label: 姓名\n  - id: age\n    type: integer\n"
    source = parse_text(text, "m.yaml")
    assert source.position("/fields/1/type") == (6, 11)
    assert source.position("/fields/0") == (3, 5)
    # A pointer to a missing value falls back to its nearest ancestor.
    assert source.position("/fields/1/options/0") == (5, 5)


def test_json_files_get_positions_too():
    source = parse_text('{\n  "code": "A",\n  "levels": ["village"]\n}', "m.json")
    assert source.data == {"code": "A", "levels": ["village"]}
    assert source.position("/levels/0") == (3, 14)


def test_dates_stay_strings_for_the_schema_to_judge():
    source = parse_text("effective_from: 2026-01-01\n", "m.yaml")
    assert source.data == {"effective_from": "2026-01-01"}


def test_duplicate_keys_are_reported_at_the_second_one():
    (problem,) = parse_text("code: A\nname: x\ncode: B\n", "m.yaml").problems
    assert (problem.line, problem.pointer) == (3, "/code")
    assert "重复" in problem.message


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 高龄津贴".encode("gbk"))
    (problem,) = read_source(path).problems
    assert "UTF-8" in problem.message
