"""scripts/build_pyodide_bundle.patch_glue: every pattern replaced, a missing one named."""

from __future__ import annotations

import re

import pytest
from scripts.build_pyodide_bundle import REPLACEMENTS, BundleBuildError, patch_glue


def glue_with_every_pattern(separator="\n/* -- */\n"):
    return separator.join(
        f"before{i};{pattern};after{i}" for i, (pattern, _) in enumerate(REPLACEMENTS)
    )


def test_patterns_are_unique_and_non_empty():
    patterns = [pattern for pattern, _ in REPLACEMENTS]
    assert all(patterns)
    assert len(set(patterns)) == len(patterns)


def test_every_pattern_is_replaced():
    patched = patch_glue(glue_with_every_pattern())
    for i, (_, replacement) in enumerate(REPLACEMENTS):
        assert f"before{i};{replacement};after{i}" in patched


def test_no_original_call_survives():
    patched = patch_glue(glue_with_every_pattern())
    assert "new WebAssembly.Module" not in patched
    assert "WebAssembly.instantiate" not in patched
    assert "crypto.getRandomValues(" not in patched
    for evaluated in ("eval(func)", "eval(data)", "eval(UTF8ToString(ptr))"):
        assert evaluated not in patched
    assert patched.count("workerd does not allow") == 3


def test_every_occurrence_is_replaced():
    source = glue_with_every_pattern() + "\nvar t = Date.now() - Date.now();\n"
    patched = patch_glue(source)
    assert "var t = monotonicDateNow() - monotonicDateNow();" in patched
    assert "Date.now" not in patched


def test_exports_and_prelude():
    patched = patch_glue(glue_with_every_pattern())
    assert "export default _createPyodideModule; export { _createPyodideModule };" in patched
    assert 'from "pyodide-internal:builtin_wrappers";' in patched
    assert "import { addEventListener," in patched


def test_load_lib_data_is_rerouted():
    patched = patch_glue(glue_with_every_pattern())
    assert "function loadLibData(){var libData = patchedLoadLibData(Module, libName" in patched
    assert "function dummiedOutOrigLoadLibData(){" in patched


def test_text_without_patterns_is_kept():
    source = "// header\n" + glue_with_every_pattern() + "\n// trailer ünïcode\n"
    patched = patch_glue(source)
    assert patched.startswith("// header\nbefore0;")
    assert patched.endswith("\n// trailer ünïcode\n")


@pytest.mark.parametrize(("index", "missing"), list(enumerate(p for p, _ in REPLACEMENTS)))
def test_a_missing_pattern_raises_naming_it(index, missing):
    source = "\n".join(pattern for i, (pattern, _) in enumerate(REPLACEMENTS) if i != index)
    assert missing not in source  # no pattern contains another
    with pytest.raises(BundleBuildError) as info:
        patch_glue(source)
    message = str(info.value)
    assert repr(missing) in message
    assert "update REPLACEMENTS" in message
    for i, (other, _) in enumerate(REPLACEMENTS):
        if i != index and other not in missing:
            assert repr(other) not in message


def test_all_missing_patterns_are_named_at_once():
    with pytest.raises(BundleBuildError) as info:
        patch_glue("console.log('not the pyodide glue');")
    message = str(info.value)
    for pattern, _ in REPLACEMENTS:
        assert repr(pattern) in message


def test_one_pattern_missing_among_the_others():
    source = glue_with_every_pattern().replace("Date.now", "Date.later")
    with pytest.raises(BundleBuildError, match=re.escape("contains: 'Date.now'. The pyodide")):
        patch_glue(source)
