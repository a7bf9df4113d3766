"""The rules of rules/*.smk as text: each rule's conda env and script, for tests/unit/project/
test_envs.py. Read from the text because Snakemake shows a job's conda env only when it can run
conda (it cannot on the test machines); what a dry run shows (log, benchmark, resources, threads)
is checked on the dry run itself (tests/workflow/test_profiles.py)."""

import re

from helpers.workflow import REPO

RULES = REPO / "rules"
RULE_RE = re.compile(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", re.M | re.S)


def directive(body, name):
    """The quoted path given to a rule directive such as conda: or script:, else None."""
    match = re.search(rf'^\s+{name}:\n\s+"([^"]+)"', body, re.M)
    return match.group(1) if match else None


def rules():
    """name -> {"env": path or None, "script": path or None, "works": bool, ...} per rule."""
    found = {}
    for source in sorted(RULES.glob("*.smk")):
        for name, body in RULE_RE.findall(source.read_text()):
            env, script = directive(body, "conda"), directive(body, "script")
            found[name] = {
                "file": source.name,
                "body": body,
                "env": (RULES / env).resolve() if env else None,
                "script": (RULES / script).resolve() if script else None,
                "works": bool(re.search(r"^\s+(script|shell|run|notebook|wrapper):", body, re.M)),
            }
    return found
