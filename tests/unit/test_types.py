"""The TypeScript declarations for callers (types/rewind-images.d.ts), with the pinned TypeScript
compiler (package.json): the example caller (examples/rpc-caller, TypeScript) type-checks; each
line its type tests mark `@ts-expect-error` is a real error (without the directives tsc fails on
exactly those lines); and the declared HTTP answers agree with the OpenAPI document the service
publishes (generated here into TypeScript and checked by tsc both ways)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from rewind_images.app import _document
from tests.support.node import NODE

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
CALLER = ROOT / "examples" / "rpc-caller"
DECLARATIONS = ROOT / "types" / "rewind-images.d.ts"
MODULE = str(DECLARATIONS).removesuffix(".d.ts")  # as a caller imports it
DIRECTIVE = re.compile(r"^\s*// @ts-expect-error\b")
ERROR = re.compile(r"^(?P<file>[^(\s]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+)", re.MULTILINE)


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NODE), str(TSC), "--noEmit", "--pretty", "false", "-p", str(project)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def project(folder: Path, files: list[Path]) -> Path:
    """A TypeScript project in `folder` with the example's compiler options."""
    config = {
        "extends": str(CALLER / "tsconfig.json"),
        "include": [str(f) for f in [*files, DECLARATIONS]],
    }
    (folder / "tsconfig.json").write_text(json.dumps(config))
    return folder


def test_the_pinned_compiler_is_the_one_run() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["typescript"]
    version = subprocess.run(
        [str(NODE), str(TSC), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"Version {pinned}"


def test_the_rpc_caller_type_checks() -> None:
    checked = tsc(CALLER)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (CALLER / "index.ts").exists()
    assert not (CALLER / "index.js").exists()


def test_each_expected_error_is_a_real_error(tmp_path: Path) -> None:
    marked: dict[str, set[int]] = {}
    for source in sorted(CALLER.glob("*.ts")):
        lines = source.read_text().splitlines()
        expected = {n + 2 for n, line in enumerate(lines) if DIRECTIVE.match(line)}
        if expected:
            marked[source.name] = expected
        # The directives become blank lines (numbers kept); imports point at the declarations.
        stripped = ["" if DIRECTIVE.match(line) else line for line in lines]
        text = "\n".join(stripped).replace('"../../types/rewind-images"', f'"{MODULE}"')
        (tmp_path / source.name).write_text(text + "\n")
    assert sum(len(lines) for lines in marked.values()) >= 10  # the type tests are there
    checked = tsc(project(tmp_path, [tmp_path / name for name in marked]))
    assert checked.returncode != 0
    found: dict[str, list[int]] = {}
    for error in ERROR.finditer(checked.stdout):
        found.setdefault(Path(error["file"]).name, []).append(int(error["line"]))
    # One error on each marked line, and none elsewhere.
    assert {name: sorted(lines) for name, lines in found.items()} == {
        name: sorted(lines) for name, lines in marked.items()
    }, checked.stdout


# --- the declared answers against the API document ---------------------------------------------

# Answers built from their models (`.dict()`), so every property is sent: checked both ways.
ANSWERS = (
    "ErrorResponse",
    "HealthResponse",
    "Attachment",
    "AttachmentAnswer",
    "Pagination",
    "KeyInfo",
    "KeyCreated",
    "KeyList",
    "ListedImage",
    "ImageList",
    "CandidateInfo",
    "SourceFailure",
    "CurrentImage",
    "Alternatives",
    "ImageRecordInfo",
    "Deleted",
    "ReanalyzeResult",
    "BackfillItemResult",
    "BackfillResult",
)
# The batch's results are declared as a union by status (an image only when ready, an error only
# when invalid), narrower than the document's one flat object: checked within the document.
WITHIN_DOCUMENT = ("AttachmentResult", "AttachmentsAnswer")
# Enums declared as the document's.
ENUMS = (
    "Size",
    "Domain",
    "EntityType",
    "KeyScope",
    "ImageStatus",
    "AttachmentStatus",
    "BackfillStatus",
)
# Properties left out of an answer rather than sent as null.
OMITTED_WHEN_NULL = {("AttachmentResult", "error"), ("BackfillItemResult", "error")}


def _ts_type(schema: dict[str, Any], prefix: str) -> str:
    """A JSON schema (the document's subset) as a TypeScript type; enums as the declared ones."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return f"D.{name}" if name in ENUMS else f"{prefix}{name}"
    for combined in ("anyOf", "allOf"):
        if combined in schema:
            joiner = " | " if combined == "anyOf" else " & "
            return "(" + joiner.join(_ts_type(s, prefix) for s in schema[combined]) + ")"
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return "(" + " | ".join(_ts_type({**schema, "type": k}, prefix) for k in kinds) + ")"
    if "enum" in schema:
        return "(" + " | ".join(json.dumps(v) for v in schema["enum"]) + ")"
    if kinds == "array":
        return f"Array<{_ts_type(schema['items'], prefix)}>"
    simple = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}
    return simple.get(str(kinds), "null" if kinds == "null" else "unknown")


def _object_type(name: str, schema: dict[str, Any], prefix: str, *, all_sent: bool) -> str:
    required = set(schema.get("required", ()))
    fields = []
    for prop, prop_schema in schema["properties"].items():
        if (name, prop) in OMITTED_WHEN_NULL:
            types = prop_schema["type"]
            kind = _ts_type({"type": [t for t in types if t != "null"]}, prefix)
            fields.append(f"{prop}?: {kind};")
        elif all_sent or prop in required:
            fields.append(f"{prop}: {_ts_type(prop_schema, prefix)};")
        else:
            fields.append(f"{prop}?: {_ts_type(prop_schema, prefix)};")
    return f"type {prefix}{name} = {{ {' '.join(fields)} }};"


def _checks(schemas: dict[str, dict[str, Any]], module: str) -> tuple[str, list[str]]:
    """The TypeScript source of the checks, and what each of its lines checks."""
    lines = [
        f'import type * as D from "{module}";',
        "type AllKeys<T> = T extends unknown ? keyof T : never;",
        "declare function assignable<To>(value: To): void;",
    ]
    for name, schema in schemas.items():
        if "properties" in schema:
            lines.append(_object_type(name, schema, "Doc_", all_sent=False))
            lines.append(_object_type(name, schema, "Sent_", all_sent=True))
        elif "enum" in schema:
            lines.append(f"type Doc_{name} = {_ts_type(schema, 'Doc_')};")
    what = [""] * len(lines)

    def check(to: str, value: str, says: str) -> None:
        lines.append(f"assignable<{to}>(null as unknown as {value});")
        what.append(says)

    for name in ANSWERS:
        check(f"D.{name}", f"Sent_{name}", f"{name}: every answer the document allows")
        check(f"Doc_{name}", f"D.{name}", f"{name}: nothing the document does not allow")
    for name in WITHIN_DOCUMENT:
        check(f"Doc_{name}", f"D.{name}", f"{name}: nothing the document does not allow")
    for name in ANSWERS + WITHIN_DOCUMENT:
        check(f"AllKeys<D.{name}>", f"AllKeys<Doc_{name}>", f"{name}: every property declared")
        check(f"AllKeys<Doc_{name}>", f"AllKeys<D.{name}>", f"{name}: no property undocumented")
    for name in ENUMS:
        check(f"D.{name}", f"Doc_{name}", f"{name}: every value of the document declared")
        check(f"Doc_{name}", f"D.{name}", f"{name}: no value the document lacks")
    return "\n".join(lines) + "\n", what


def test_the_declared_answers_agree_with_the_api_document(tmp_path: Path) -> None:
    schemas = _document()["components"]["schemas"]
    assert set(ANSWERS + WITHIN_DOCUMENT + ENUMS) <= set(schemas)
    source, what = _checks(schemas, MODULE)
    (tmp_path / "checks.ts").write_text(source)
    checked = tsc(project(tmp_path, [tmp_path / "checks.ts"]))
    failures = [what[int(e["line"]) - 1] for e in ERROR.finditer(checked.stdout)]
    assert failures == [], checked.stdout
    assert checked.returncode == 0, checked.stdout + checked.stderr
