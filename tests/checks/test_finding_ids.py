"""Every finding id the check can report is documented in docs/check.md, and named by a test.

The ids are read from the code (quoted ids, the `{kind}.`/`{category}.` templates the schema and
stream rules share, the envelope rule's names, and the tool-call lint's defect codes), so a new
rule without a line in the docs, or without a test that names its id, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = "reachability|auth|schema|stream|params|conversation|tools|errors|latency|models"
# Probe ids (checklist lines), not finding ids.
PROBE_IDS = {"auth.none", "auth.wrong", "auth.other-header", "auth.enforced", "errors.shape", "errors.invalid-json",
             "errors.no-messages", "params.minimal", "tools.result"}
LEGACY_TOOL_IDS = {"index-missing": "tool-call-index-missing", "arguments-not-string": "tool-arguments-not-string"}


def code_ids() -> set[str]:
    rules = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "workbench" / "checks").rglob("*.py"))
    ids = set(re.findall(rf'["\']((?:{CATEGORIES})\.[a-z0-9-]+)["\']', rules))
    templated = set(re.findall(r'f"\{(?:kind|category)\}\.([a-z0-9-]+)"', rules))
    envelope = set(re.findall(r'\badd\("([a-z-]+)", (?:\{|set\()', rules))  # judge_envelope's add(name, fields, …)
    for kind in ("schema", "stream"):
        ids |= {f"{kind}.{name}" for name in templated | envelope}
    lint = (ROOT / "workbench" / "tool_calls.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'ToolCallDefect\(\s*"([a-z-]+)"', lint)) | set(re.findall(r'"(index-inconsistent)"', lint))
    for code in codes:
        if code in LEGACY_TOOL_IDS:
            ids.add(f"stream.{LEGACY_TOOL_IDS[code]}")
            if code == "arguments-not-string":
                ids.add(f"schema.{LEGACY_TOOL_IDS[code]}")
        else:
            ids.add(f"tools.{code}")
    return ids - PROBE_IDS


def documented_ids() -> set[str]:
    text = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
    table = text.split("<!-- finding-ids:start -->", 1)[1].split("<!-- finding-ids:end -->", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9.-]+)` \|", table, re.MULTILINE))


def test_the_code_finds_a_sensible_number_of_ids() -> None:
    ids = code_ids()
    assert len(ids) > 100 and "tools.finish-reason-wrong" in ids and "schema.index-missing" in ids


def test_every_finding_id_is_documented_and_no_other() -> None:
    code, docs = code_ids(), documented_ids()
    assert code - docs == set(), "ids the code reports that docs/check.md does not list"
    assert docs - code == set(), "ids docs/check.md lists that the code never reports"


def test_every_finding_id_is_named_by_a_test() -> None:
    me = Path(__file__).resolve()
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py") if p.resolve() != me)
    unnamed = sorted(i for i in code_ids() if f'"{i}"' not in tests and f"'{i}'" not in tests)
    assert unnamed == [], "finding ids no test names"
