"""Differential tests: nbexec's translators, -p inference and YAML reading against papermill 2.7.

papermill (installed without black, so PythonTranslator does not reformat) is the oracle; each
case where nbexec deliberately writes something else is listed in DELIBERATE with the reason,
and docs/parameters.md lists the same cases.
"""

import math
import re

import pytest

papermill_translators = pytest.importorskip("papermill.translators")
papermill_cli = pytest.importorskip("papermill.cli")
papermill_iorw = pytest.importorskip("papermill.iorw")

from nbexec import _core  # noqa: E402


def test_black_is_not_installed():
    # With black, papermill's Python text is re-wrapped: not the reference nbexec follows.
    with pytest.raises(ImportError):
        import black  # noqa: F401


# Every name papermill registers; the kernel name picks the translator.
KERNELS = [
    "python",
    "R",
    "scala",
    "julia",
    "matlab",
    ".net-csharp",
    ".net-fsharp",
    ".net-powershell",
    "pysparkkernel",
    "sparkkernel",
    "sparkrkernel",
    "bash",
]

VALUES = {
    "none": None,
    "true": True,
    "false": False,
    "zero": 0,
    "negative": -17,
    "int32_max": 2147483647,
    "int32_max_plus_one": 2147483648,
    "int32_min": -2147483648,
    "int32_min_minus_one": -2147483649,
    "int64_max": 9223372036854775807,
    "int64_min": -9223372036854775808,
    "tenth": 0.1,
    "negative_zero": -0.0,
    "float_zero": 0.0,
    "big_float": 1e16,
    "small_float": 1e-05,
    "huge_float": 1.7976931348623157e308,
    "tiny_float": 5e-324,
    "nan": math.nan,
    "inf": math.inf,
    "minus_inf": -math.inf,
    "empty_str": "",
    "plain": "plain",
    "double_quotes": 'say "hi"',
    "single_quotes": "it's 'quoted'",
    "backslashes": "C:\\path\\to\\file \\n",
    "whitespace": "tab\there\nnewline\rcr",
    "controls": "\x00\x01\x1f\x7f",
    "latin1": "caf\u00e9 \u00ff \u00a0",
    "bmp": "\u20ac \u2028 \ufeff \uffff",
    "astral": "\U0001f600 \U0010ffff",
    "shell_specials": "$HOME `cmd` $(x) !x *",
    "shell_safe": "safe-_@%+=:,./chars",
    "braces": "{x} %s %d",
    "empty_list": [],
    "empty_dict": {},
    "flat_list": [1, "two", 3.5, True],
    "list_with_none": [1, None, "a b"],
    "nested_list": [[1, 2], [], ["x", [None]]],
    "flat_dict": {"a": 1, "b": "two", "c": False},
    "nested_dict": {"lr": 1e-05, "layers": [64, 32], "opt": {"name": "adam", "eps": None}},
    "dict_key_escapes": {'k"ey': 1, "k'ey": 2, "caf\u00e9": "\u00fc", "": "empty"},
    "list_of_dicts": [{"a": 1}, {"b": [True, 0.5]}],
    "unicode_nested": {"\u00e9": ["\U0001f600", "\t"]},
}

ERROR = object()  # nbexec raises ParameterError naming the parameter and the language

# (translator, value name) -> what nbexec writes for {"x": value} instead of papermill's text.
_R_NONFINITE = {"nan": "NaN", "inf": "Inf", "minus_inf": "-Inf"}
_SCALA_NONFINITE = {
    "nan": "Double.NaN",
    "inf": "Double.PositiveInfinity",
    "minus_inf": "Double.NegativeInfinity",
}
_CSHARP_NONFINITE = {
    "nan": "double.NaN",
    "inf": "double.PositiveInfinity",
    "minus_inf": "double.NegativeInfinity",
}
DELIBERATE = {}
for kernel in ("R", "sparkrkernel"):
    for name, text in _R_NONFINITE.items():
        DELIBERATE[kernel, name] = f"# Parameters\nx = {text}\n"
for kernel in ("scala", "sparkkernel"):
    for name, text in _SCALA_NONFINITE.items():
        DELIBERATE[kernel, name] = f"// Parameters\nval x = {text}\n"
for name, text in {"nan": "NaN", "inf": "Inf", "minus_inf": "-Inf"}.items():
    DELIBERATE["julia", name] = f"# Parameters\nx = {text}\n"
for name, text in _CSHARP_NONFINITE.items():
    DELIBERATE[".net-csharp", name] = f"// Parameters\nvar x = {text};\n"
for name, text in {"inf": "infinity", "minus_inf": "-infinity"}.items():
    DELIBERATE[".net-fsharp", name] = f"(* Parameters *)\nlet x = {text}\n"
# bash: papermill writes "((1 2) () (x ()))", which bash rejects, and drops a None element.
DELIBERATE["bash", "nested_list"] = ERROR
DELIBERATE["bash", "list_with_none"] = "# Parameters\nx=(1 '' 'a b')\n"
# R strings cannot hold NUL; papermill writes "\x00", which R rejects.
DELIBERATE["R", "controls"] = DELIBERATE["sparkrkernel", "controls"] = ERROR


# Strings: papermill's escapes rewritten where the language reads them differently (deliberate
# differences 6-8 in docs/parameters.md). Applied to papermill's whole text: only its string
# literals hold backslashes or '$'.
_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|U[0-9a-f]{8}|.)")
_REESCAPE = {  # kernel -> (\x as \u00 from 0x80 only?, \U as surrogates?, '$' escaped?)
    "R": (True, False, False),
    "sparkrkernel": (True, False, False),
    "julia": (True, False, True),
    "scala": (False, True, False),
    "sparkkernel": (False, True, False),
    ".net-csharp": (False, False, False),
}


def expected_strings(kernel, text):
    if kernel not in _REESCAPE or not isinstance(text, str):
        return text
    high_only, surrogates, dollar = _REESCAPE[kernel]

    def rewrite(match):
        token = match.group(1)
        if token[0] == "x" and (not high_only or int(token[1:], 16) >= 0x80):
            return "\\u00" + token[1:]
        if token[0] == "U" and surrogates:
            units = chr(int(token[1:], 16)).encode("utf-16-be")
            return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, 4, 2))
        return match.group(0)

    text = _ESCAPE.sub(rewrite, text)
    return text.replace("$", "\\$") if dollar else text


def papermill_text(kernel, parameters, comment="Parameters"):
    try:
        return papermill_translators.translate_parameters(kernel, "", parameters, comment)
    except (NotImplementedError, TypeError, AttributeError):
        return ERROR


def nbexec_text(kernel, parameters, comment="Parameters", language=""):
    try:
        return _core.render_parameters(parameters, kernel, language, comment)
    except _core.ParameterError as error:
        return error


def language_word(kernel):
    return {
        "python": "Python",
        "pysparkkernel": "Python",
        "R": "R",
        "sparkrkernel": "R",
        "scala": "Scala",
        "sparkkernel": "Scala",
        "julia": "Julia",
        "matlab": "MATLAB",
        ".net-csharp": "C#",
        ".net-fsharp": "F#",
        ".net-powershell": "PowerShell",
        "bash": "bash",
    }[kernel]


@pytest.mark.parametrize("value_name", list(VALUES))
@pytest.mark.parametrize("kernel", KERNELS)
def test_each_value_renders_as_papermill(kernel, value_name):
    parameters = {"x": VALUES[value_name]}
    expected = DELIBERATE.get(
        (kernel, value_name), expected_strings(kernel, papermill_text(kernel, parameters))
    )
    actual = nbexec_text(kernel, parameters)
    if expected is ERROR:
        assert isinstance(actual, _core.ParameterError), actual
        message = str(actual)
        assert "'x'" in message and language_word(kernel) in message, message
    else:
        assert actual == expected


@pytest.mark.parametrize("kernel", KERNELS)
def test_all_values_at_once_render_as_papermill(kernel):
    parameters = {
        name: value
        for name, value in VALUES.items()
        if (kernel, name) not in DELIBERATE
        and papermill_text(kernel, {"x": value}) is not ERROR
    }
    assert nbexec_text(kernel, parameters) == expected_strings(
        kernel, papermill_text(kernel, parameters)
    )


@pytest.mark.parametrize("comment", ["Parameters", "", "  spaced \t", "Injected by nbexec", "\u00e9"])
@pytest.mark.parametrize("kernel", KERNELS)
def test_comment_renders_as_papermill(kernel, comment):
    parameters = {"alpha": 1, "name": "x"}
    assert nbexec_text(kernel, parameters, comment) == expected_strings(
        kernel, papermill_text(kernel, parameters, comment)
    )


@pytest.mark.parametrize("language", ["python", "R", "scala", "julia", "matlab", "bash"])
def test_translator_found_by_language_when_kernel_is_unknown(language):
    parameters = {"a": [1, "b"], "c": 2.5} if language != "bash" else {"a": [1, "b"]}
    expected = papermill_translators.translate_parameters("my-kernel", language, parameters)
    assert _core.render_parameters(parameters, "my-kernel", language) == expected


def test_kernel_name_wins_over_language():
    expected = papermill_translators.translate_parameters("bash", "python", {"a": True})
    assert _core.render_parameters({"a": True}, "bash", "python") == expected


def test_unknown_kernel_and_language_is_an_error_naming_both():
    with pytest.raises(_core.ParameterError, match="cobol-kernel.*cobol"):
        _core.render_parameters({"a": 1}, "cobol-kernel", "cobol")


def test_r_drops_leading_underscores_like_papermill():
    parameters = {"_private": 1, "__x": "y"}
    assert _core.render_parameters(parameters, "ir", "R") == papermill_translators.translate_parameters(
        "ir", "R", parameters
    )


def test_r_refuses_a_name_of_only_underscores():
    # papermill writes " = 1", which R rejects.
    with pytest.raises(_core.ParameterError, match="'_'.*R"):
        _core.render_parameters({"_": 1}, "ir", "R")


def test_csharp_none_is_an_error_naming_parameter_and_language():
    with pytest.raises(_core.ParameterError, match="'maybe'.*C#"):
        _core.render_parameters({"n": 1, "maybe": None}, ".net-csharp", "C#")


def test_bash_dict_is_an_error_naming_parameter_and_language():
    with pytest.raises(_core.ParameterError, match="'conf'.*dict.*bash"):
        _core.render_parameters({"conf": {"a": 1}}, "bash", "bash")


# ---- -p inference -------------------------------------------------------------------------

INFER_CASES = [
    "0", "7", "-7", "+7", " 7 ", "\t7\n", "007", "1_000", "1__000", "_1", "1_", "-0", "+-1",
    "1e3", "1E3", "1e-3", ".5", "5.", "-.5", "1_0.5", "1.5_0", "nan", "NaN", "-nan", "inf",
    "-inf", "+inf", "Infinity", "-Infinity", "infinity ", "0x10", "0o7", "0b1", "1j", "1/2",
    "True", "true", "TRUE", "False", "false", "None", "none", "null", "", " ", "abc",
    "\u0663", "\u0661\u0662", "\uff11\uff12", "\u00b2", "1\u00a0", "\u20071", "3.14", "-0.0",
    "1e400", "-1e400", "9223372036854775807", "-9223372036854775808", "1.0e+16", "12abc",
    "'quoted'", "[1, 2]", "{'a': 1}",
]


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", INFER_CASES)
def test_p_inference_matches_papermill(text):
    expected = papermill_cli._resolve_type(text)
    actual = _core.infer_parameter(text)
    assert _same(actual, expected), (actual, expected)


def test_p_inference_refuses_integers_beyond_64_bits():
    # Python keeps 2**64 as an int; nbexec's values are 64-bit (documented difference).
    assert papermill_cli._resolve_type("18446744073709551616") == 2**64
    with pytest.raises(_core.ParameterError, match="64 bits"):
        _core.infer_parameter("18446744073709551616")


# ---- YAML ----------------------------------------------------------------------------------

YAML_CASES = {
    "plain": "a: 1\nb: two\nc: 3.5\n",
    "dates_stay_strings": "d: 2024-01-02\nt: 2001-12-14t21:59:43.10-05:00\n",
    "yaml11_booleans": "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: FALSE\n",
    "nulls": "a: ~\nb: null\nc: Null\nd:\n",
    "empty_document": "",
    "only_comment": "# nothing here\n",
    "explicit_empty": "---\n...\n",
    "anchors": "base: &b {x: 1, y: [1, 2]}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n",
    "octal": "a: 010\nb: 0o17\nc: 08\nd: -010\n",
    "hex": "a: 0x1F\nb: -0x10\nc: 0x_1F\n",
    "binary": "a: 0b101\nb: -0b1_0\n",
    "sexagesimal": "a: 190:20:30\nb: 1:30.5\nc: -1:00\n",
    "underscores": "a: 1_000\nb: 1_0.5\n",
    "floats": "a: .inf\nb: -.Inf\nc: .NaN\nd: 1e3\ne: 1.0e+3\nf: .5\ng: 6.8523015e+5\nh: -0.0\n",
    "explicit_tags": "a: !!str 1\nb: !!int '7'\nc: !!float '2'\nd: !!bool 'yes'\ne: !!null ''\n",
    "strings": "a: 'it''s'\nb: \"tab\\there\"\nc: |\n  line1\n  line2\nd: >\n  folded\n  text\n",
    "unicode": "caf\u00e9: \u00fc\nemoji: \"\\U0001F600\"\n",
    "json": '{"a": [1, 2.5, null, true], "b": {"c": "d"}}',
    "nested": "model:\n  layers: [64, 32]\n  opt: {name: adam, lr: 0.001}\n",
    # 1 and true would be one key in Python (1 == True); distinct ones here.
    "int_keys": "2: two\ntrue: yes\n1.5: x\n",
    "plus_sign": "a: +12\nb: +1.5\n",
}


@pytest.mark.parametrize("name", list(YAML_CASES))
def test_yaml_loads_as_papermill(name, tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(YAML_CASES[name], encoding="utf-8")
    expected = papermill_iorw.read_yaml_file(str(path)) or {}
    expected = {str(k) if not isinstance(k, str) else k: v for k, v in expected.items()}
    actual = _core.parse_parameters_yaml(YAML_CASES[name], str(path))
    assert list(actual) == list(expected)
    for key in expected:
        assert _same_deep(actual[key], expected[key]), (key, actual[key], expected[key])


def _same_deep(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same_deep(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_deep(x, y) for x, y in zip(a, b))
    return _same(a, b)


def test_yaml_multi_document_is_an_error_as_in_pyyaml(tmp_path):
    path = tmp_path / "multi.yaml"
    path.write_text("a: 1\n---\nb: 2\n", encoding="utf-8")
    import yaml

    with pytest.raises(yaml.YAMLError):
        papermill_iorw.read_yaml_file(str(path))
    with pytest.raises(_core.ParameterError, match="document"):
        _core.parse_parameters_yaml("a: 1\n---\nb: 2\n", "multi.yaml")


def test_invalid_yaml_names_line_and_column():
    # PyYAML places this error at the end of the stream too (line 3, column 1).
    with pytest.raises(_core.ParameterError, match=r"bad.yaml: line 3, column 1"):
        _core.parse_parameters_yaml("a: 1\nb: [1, 2\n", "bad.yaml")
