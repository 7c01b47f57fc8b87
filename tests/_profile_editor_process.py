"""A workbench process that edits a profiles folder in a loop (the two-workbenches concurrency test runs two).

    python tests/_profile_editor_process.py FOLDER TAG ITERATIONS

Each step is a real command line run through the CLI's own entry (`cli.main`), in this one
process so that hundreds of steps stay fast: add TAG-i, edit it, rename it, edit the profile
both processes share (`shared`: this process sets its own parameter, `temperature` for tag
a and `top_p` for tag b), and now and then rename `shared` away and back. Every step's
outcome is printed as a JSON line: ok, or the error's message (a WorkbenchError or click's),
or "unexpected" with the exception's type, which the test counts as a defect.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys

import click

from workbench.cli import cli
from workbench.errors import WorkbenchError


def run(folder: str, *args: str) -> dict[str, object]:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["--profiles", folder, *args], standalone_mode=False, prog_name="workbench")
    except WorkbenchError as error:
        return {"args": args, "outcome": "error", "message": error.message, "hint": error.hint}
    except click.ClickException as error:
        return {"args": args, "outcome": "error", "message": error.format_message(), "hint": ""}
    except Exception as error:  # a defect: the test fails on any of these
        return {"args": args, "outcome": "unexpected", "message": f"{type(error).__name__}: {error}"}
    return {"args": args, "outcome": "ok" if code in (None, 0) else f"exit {code}"}


def main() -> None:
    folder, tag, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mine = "temperature" if tag == "a" else "top-p"
    for i in range(iterations):
        name = f"{tag}-{i}"
        steps = [
            ("profiles", "add", name, "--url", "http://127.0.0.1:9/v1", "--model", "m0"),
            ("profiles", "edit", name, "--model", f"m-{i}", "--notes", f"written by {tag} at step {i}"),
            ("profiles", "rename", name, f"{name}-r"),
            ("profiles", "edit", f"{name}-r", "--max-tokens", str(i + 1)),
            ("profiles", "edit", "shared", f"--{mine}", f"0.{i % 10}{i // 10 % 10}"),
        ]
        if i % 2 == 1:
            steps += [("profiles", "rename", "shared", f"shared-{tag}"),
                      ("profiles", "rename", f"shared-{tag}", "shared")]
        for step in steps:
            print(json.dumps(run(folder, *step)), flush=True)


if __name__ == "__main__":
    main()
