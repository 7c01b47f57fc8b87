"""Setup sheets: what each platform asks for to point a voice agent at the developer's endpoint.

Each platform module builds its own sheet (`Platform.setup_sheet`: the PolyAI rep's items,
Play.ai's PATCH body and curl, Vapi's custom-llm provider, ElevenLabs' custom LLM fields, an
OpenAI SDK snippet) with the credential masked unless a reveal is asked for. Here:
`build_sheet` chooses the platform's builder and adds the latest saved check verdict
(`checks.verdicts`), and `render` prints the sheet as markdown, text or JSON. Pure apart from
reading the saved verdict file.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import UsageError
from workbench.platforms.sheet import SetupSheet, SheetProfile, ShownCredential, auth_sent

if TYPE_CHECKING:
    from workbench.checks.verdicts import Verdict
    from workbench.secrets import Credential

FORMATS = ("markdown", "json", "text")


def build_sheet(
    profile: SheetProfile,
    platform: str,
    credential: Credential | None,
    *,
    reveal: bool = False,
    verdict: Verdict | None = None,
) -> SetupSheet:
    """The setup sheet for `platform`; the credential appears only masked unless `reveal`."""
    from workbench.platforms import PLATFORMS, get_platform

    spec = get_platform(platform)
    if spec.setup_sheet is None:
        having = ", ".join(p.id for p in PLATFORMS.values() if p.setup_sheet is not None)
        raise UsageError(f"expected a platform with a setup sheet, got {spec.id}.", f"use one of: {having}.")
    secret = ShownCredential(credential, reveal, profile)
    sheet = spec.setup_sheet(profile, spec, secret)
    sheet.verdict = verdict
    sheet.revealed = reveal
    sheet.credential_source = secret.source
    sheet.auth_method = auth_sent(profile, spec) if spec.id != "openai" else profile.auth
    sheet.check_command = f"workbench check {shlex.quote(profile.name)} --as {spec.id}"
    if not sheet.checklist:
        sheet.checklist = tuple(spec.checklist)
    if sheet.checklist == tuple(spec.checklist):
        sheet.checklist_proof = spec.checklist_proof
    tls = getattr(profile, "tls", None)
    if tls is not None and not tls.verify and profile.base_url.lower().startswith("https://"):
        sheet.notes.insert(0, f"TLS verification is off in this profile, so the workbench's calls did not check the "
                              f"certificate; {spec.title} will. Run `{sheet.check_command}` to judge it as "
                              f"{spec.title} does before you send this sheet.")
    return sheet


# ---- rendering --------------------------------------------------------------------------


def render(sheet: SetupSheet, fmt: str = "markdown", *, now: float | None = None) -> str:
    if fmt == "json":
        data = sheet.to_dict()
        if sheet.verdict is not None:
            data["latest_check"] = sheet.verdict.to_dict(now)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(sheet, now)
    if fmt == "text":
        return _text(sheet, now)
    raise UsageError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")


def _verdict_line(sheet: SetupSheet, now: float | None) -> str:
    if sheet.verdict is None:
        return f"no saved check for this profile and platform; run `{sheet.check_command}`"
    return sheet.verdict.summary(now)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(sheet: SetupSheet, now: float | None) -> str:
    out = [f"# {sheet.platform_title} setup: {sheet.profile}", "", sheet.intro, ""]
    out += ["| Setting | Value |", "| --- | --- |"]
    for f in sheet.fields:
        value = f"`{_md_cell(f.value)}`" if f.value and f.key in _CODE_VALUES else _md_cell(f.value) or "—"
        note = f" ({_md_cell(f.note)})" if f.note else ""
        out.append(f"| {_md_cell(f.label)} | {value}{note} |")
    out += ["", f"**Latest check:** {_verdict_line(sheet, now)}", ""]
    for snippet in sheet.snippets:
        out += [f"## {snippet.title}", "", f"```{snippet.language}", snippet.text, "```", ""]
    if sheet.checklist:
        out += [f"## {sheet.checklist_title}", ""] + [f"- [{mark}] {item}" for mark, item in _ticked(sheet)] + [""]
    if sheet.notes:
        out += ["## Notes", ""] + [f"- {note}" for note in sheet.notes] + [""]
    return "\n".join(out)


_CODE_VALUES = {"endpoint_url", "model_id", "baseURL", "model", "base_url", "url", "server_url", "provider"}


def _ticked(sheet: SetupSheet) -> list[tuple[str, str]]:
    """Each checklist item with "x" when the latest check proved it, else " "."""
    proofs = sheet.checklist_proof if len(sheet.checklist_proof) == len(sheet.checklist) else ()
    verdict = sheet.verdict
    return [("x" if verdict is not None and proofs and verdict.proves(proofs[i]) else " ", item)
            for i, item in enumerate(sheet.checklist)]


def _text(sheet: SetupSheet, now: float | None) -> str:
    title = f"{sheet.platform_title} setup: {sheet.profile}"
    out = [title, "=" * len(title), "", sheet.intro, ""]
    width = max(len(f.label) for f in sheet.fields) if sheet.fields else 0
    for f in sheet.fields:
        out.append(f"  {f.label.ljust(width)}  {f.value or '-'}")
        if f.note:
            out.append(f"  {'':{width}}  ({f.note})")
    out += ["", f"Latest check: {_verdict_line(sheet, now)}", ""]
    for snippet in sheet.snippets:
        out += [f"{snippet.title}:", ""] + [f"    {line}" for line in snippet.text.splitlines()] + [""]
    if sheet.checklist:
        out += [f"{sheet.checklist_title}:"] + [f"  [{mark}] {item}" for mark, item in _ticked(sheet)] + [""]
    if sheet.notes:
        out += ["Notes:"] + [f"  - {note}" for note in sheet.notes] + [""]
    return "\n".join(out)


def export_sheet(
    profile: SheetProfile,
    platform: str,
    credential: Credential | None,
    *,
    fmt: str = "markdown",
    reveal: bool = False,
    reports_dir: str | Path | None = None,
) -> str:
    """The whole export in one call: the sheet with the latest verdict, rendered."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    from workbench.checks.verdicts import load_latest
    from workbench.platforms import get_platform

    platform_id = get_platform(platform).id
    verdict = load_latest(profile.name, platform_id, reports_dir)
    sheet = build_sheet(profile, platform_id, credential, reveal=reveal, verdict=verdict)
    return render(sheet, fmt)
