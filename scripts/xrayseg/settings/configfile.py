"""The config file's YAML syntax, checked before Snakemake reads it (its message names no file).

The Snakefile calls yaml_syntax_problem on config/config.yaml before its `configfile:` line, so a
missing bracket or a tab stops the run with one line naming the file, the line and the column
where the YAML parser noticed (for an unclosed bracket, the line after it).
"""

from pathlib import Path

import yaml


def yaml_syntax_problem(path):
    """None when `path` does not exist or holds valid YAML; otherwise one line naming the file,
    the place and the problem."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        yaml.safe_load(path.read_bytes())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = error.problem or error.context or "not valid YAML"
        return f"{path}{place}: not valid YAML ({what})"
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"{path}: not valid YAML ({first})"
    return None
