"""The config file's YAML syntax check: one line with the file and the place, or None."""

from xrayseg.settings.configfile import yaml_syntax_problem


def test_valid_or_missing_yaml_has_no_problem(tmp_path):
    path = tmp_path / "config.yaml"
    assert yaml_syntax_problem(path) is None  # Snakemake says itself that it is missing
    path.write_text("data:\n  source: synthetic\nseed: 1\n")
    assert yaml_syntax_problem(path) is None


def test_an_open_bracket_names_the_file_and_a_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("data:\n  values: [0, 128\nseed: 1\n")
    problem = yaml_syntax_problem(path)
    assert problem.startswith(f"{path} line 3, column 5: not valid YAML (")
    assert "\n" not in problem


def test_a_tab_names_its_line_and_column(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("data:\n  source: files\n\tseed: 1\n")
    assert yaml_syntax_problem(path).startswith(f"{path} line 3, column 1: not valid YAML")


def test_bytes_that_are_not_text_are_a_problem_too(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"data: \xff\xfe\x00\n")
    assert "not valid YAML" in yaml_syntax_problem(path)
