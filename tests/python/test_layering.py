"""The fronts enter the library only through the L4 facade (docs/architecture.md).

src/cli (the native CLI) and python/_core (the extension) may include the top-level public
headers (include/nbexec/*.hpp: the facade and the types it hands out), their own folder's
headers, and system or third-party headers other than the transport, crypto and YAML ones.
Anything under include/nbexec/<layer>/ or a private src/ header is refused here, so the rule
stays true as the code grows; the build enforces the other half (neither target has src/ on its
include path, checked below too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTS = [ROOT / "src" / "cli", ROOT / "python" / "_core"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.MULTILINE)
# Headers whose types must stay behind the facade even if a front could reach them.
FORBIDDEN_THIRD_PARTY = ("zmq.hpp", "zmq.h", "zmq_addon.hpp", "openssl/", "yaml-cpp/")


def front_sources() -> list[Path]:
    return sorted(p for front in FRONTS for p in front.iterdir() if p.suffix in (".cpp", ".hpp"))


def facade_headers() -> set[str]:
    return {p.name for p in (ROOT / "include" / "nbexec").glob("*.hpp")}


def include_problem(source: Path, kind: str, header: str) -> str | None:
    """Why this include breaks the rule, or None."""
    if kind == '"':
        # Only a header of the front's own folder, named without a path.
        if "/" in header or not (source.parent / header).is_file():
            return "a quoted include must name a header of the same folder"
        return None
    if header.startswith("nbexec/"):
        rest = header[len("nbexec/"):]
        if "/" in rest:
            return "reaches below the facade (include/nbexec/<layer>/)"
        if rest not in facade_headers():
            return "no such facade header"
        return None
    if any(header == bad or header.startswith(bad) for bad in FORBIDDEN_THIRD_PARTY):
        return "a transport, crypto or YAML header"
    return None


def test_fronts_exist_and_include_things():
    sources = front_sources()
    assert len(sources) > 10
    assert sum(len(INCLUDE.findall(p.read_text())) for p in sources) > 50


@pytest.mark.parametrize("source", front_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_front_includes_only_the_facade(source: Path):
    problems = []
    for kind, header in INCLUDE.findall(source.read_text()):
        why = include_problem(source, kind, header)
        if why:
            problems.append(f"{header}: {why}")
    assert not problems, f"{source.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("bad", [
    ("<", "nbexec/kernel/kernelspec.hpp"),
    ("<", "nbexec/params/inspect/inspect.hpp"),
    ("<", "nbexec/protocol/message.hpp"),
    ("<", "nbexec/no_such_facade.hpp"),
    ('"', "core/json_fields.hpp"),
    ('"', "cli/console.hpp"),
    ("<", "zmq.hpp"),
    ("<", "openssl/hmac.h"),
    ("<", "yaml-cpp/yaml.h"),
])
def test_the_check_refuses_what_the_rule_forbids(bad):
    kind, header = bad
    assert include_problem(ROOT / "src" / "cli" / "main.cpp", kind, header) is not None


def test_the_check_accepts_the_facade_and_local_headers():
    main = ROOT / "src" / "cli" / "main.cpp"
    for kind, header in [("<", "nbexec/run.hpp"), ("<", "nbexec/inspect.hpp"),
                         ('"', "commands.hpp"), ("<", "CLI/CLI.hpp"), ("<", "string")]:
        assert include_problem(main, kind, header) is None, header


def test_fronts_build_without_src_on_their_include_path():
    cmake = (ROOT / "CMakeLists.txt").read_text() + (ROOT / "python" / "CMakeLists.txt").read_text()
    for target in ("nbexec_cli", "_core"):
        for match in re.finditer(r"target_include_directories\(\s*" + re.escape(target) +
                                 r"\b([^)]*)\)", cmake):
            assert "/src" not in match.group(1) and "src\"" not in match.group(1), (
                f"{target} has src/ on its include path: {match.group(0)}")
