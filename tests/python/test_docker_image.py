"""docker/Dockerfile, the step image of docs/kfp.md, checked without a Docker engine (the test
machines have the docker client only):

- its structure, parsed with dockerfile-parse: two stages on one pinned base image, pinned apt
  runtime libraries covering what the extension and the CLI link against, every pip command
  held to docker/constraints.txt, the REQUIREMENTS build argument, a fixed non-root user, the
  smoke checks;
- its runtime stage's commands run here in a clean virtual environment (the wheel of
  conftest.py's `wheel` fixture in place of the builder stage's, a requirements file through
  REQUIREMENTS, the same constraints file), then its smoke checks, then the compiled container
  component's command line, resolved as the KFP launcher resolves it, in that environment
  (which has no kfp: the container form's runtime never imports it).

The second part installs from PyPI (marked `network`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import REPO, clean_env, make_notebook, read_valid

dockerfile_parse = pytest.importorskip(
    "dockerfile_parse", reason="dockerfile-parse is not installed (scripts/install-deps.sh)")

DOCKERFILE = REPO / "docker" / "Dockerfile"
CONSTRAINTS = REPO / "docker" / "constraints.txt"
# Packages of the base image that the runtime stage may rely on without installing them: libc
# and the GCC runtime (apt itself needs libstdc++6).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
# Named in the runtime stage without a version so that the image takes Debian's security
# updates (it is in the base image already).
UNPINNED_FOR_SECURITY = {"libssl3"}
# The REQUIREMENTS file of the clean-environment run: one small package the kernel does not
# pull in, so the notebook can show that it came through the build argument.
EXTRA_REQUIREMENT = ("six", "1.17.0")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _constraints() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert found, f"{CONSTRAINTS.name}: {line!r} is not NAME==VERSION"
        name = _normalize(found.group(1))
        assert name not in pins, f"{CONSTRAINTS.name}: {name} pinned twice"
        pins[name] = found.group(2)
    return pins


@pytest.fixture(scope="module")
def parser():
    return dockerfile_parse.DockerfileParser(path=str(DOCKERFILE))


def _stages(parser) -> list[list[dict]]:
    """The instructions of each stage (comments left out), FROM first."""
    stages: list[list[dict]] = []
    for item in parser.structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if stages and item["instruction"] != "COMMENT":
            stages[-1].append(item)
    return stages


def _values(stage, instruction) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == instruction]


def _parts(run: str) -> list[str]:
    """A RUN's shell commands, split at &&, as shell text."""
    return [part.strip() for part in run.split("&&") if part.strip()]


def _commands(run: str) -> list[list[str]]:
    """A RUN's shell commands, each as words."""
    return [shlex.split(part) for part in _parts(run)]


def _copies(stage) -> dict[str, str]:
    """{destination in the image: source} of a stage's COPY instructions."""
    copies = {}
    for value in _values(stage, "COPY"):
        words = [w for w in shlex.split(value) if not w.startswith("--")]
        copies[words[-1]] = words[0]
        if value.startswith("--from="):
            copies[words[-1]] = value.split()[0] + " " + words[0]
    return copies


def _pip_commands(stage) -> list[list[str]]:
    return [words for run in _values(stage, "RUN") for words in _commands(run)
            if "pip" in words and ({"install", "wheel"} & set(words))]


def _apt_packages(stage) -> dict[str, str | None]:
    packages: dict[str, str | None] = {}
    for run in _values(stage, "RUN"):
        for words in _commands(run):
            if words[:2] == ["apt-get", "install"]:
                assert "--no-install-recommends" in words, words
                for word in words[2:]:
                    if not word.startswith("-"):
                        name, _, version = word.partition("=")
                        packages[name] = version or None
    return packages


def test_constraints_pin_every_package_once():
    pins = _constraints()
    assert {"pip", "scikit-build-core", "pybind11", "ipykernel", "pyzmq"} <= set(pins)


def test_two_stages_on_one_pinned_base_image(parser):
    stages = _stages(parser)
    assert len(stages) == 2
    assert re.fullmatch(r"\S+ AS builder", stages[0][0]["value"], re.IGNORECASE)
    assert parser.is_multistage
    # dockerfile-parse substitutes the ARG both FROMs use.
    assert len(set(parser.parent_images)) == 1
    image = parser.parent_images[0]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), (
        f"base image {image!r}: a Python patch release on Debian bookworm, never a moving tag")
    assert "latest" not in image
    # The runtime stage takes the builder's wheel and nothing else from it.
    froms = [src for src in _copies(stages[1]).values() if src.startswith("--from=")]
    assert froms == ["--from=builder /wheels/"]


def test_builder_builds_the_wheel_without_fetching_build_tools(parser):
    builder = _stages(parser)[0]
    wheel_builds = [w for w in _pip_commands(builder) if "wheel" in w]
    assert len(wheel_builds) == 1
    assert {"--no-deps", "--no-build-isolation"} <= set(wheel_builds[0])
    assert wheel_builds[0][-1] == "."
    # The apt packages of scripts/install-deps.sh that the C++ build needs, and md4c's.
    packages = set(_apt_packages(builder))
    assert {"g++", "cmake", "ninja-build", "nlohmann-json3-dev", "libyaml-cpp-dev", "cppzmq-dev",
            "libzmq3-dev", "libssl-dev", "libcli11-dev", "libmd4c-dev",
            "libmd4c-html0-dev"} <= packages
    install_deps = (REPO / "scripts" / "install-deps.sh").read_text()
    for name in packages - {"libmd4c-dev", "libmd4c-html0-dev"}:
        assert re.search(rf"(^|\s){re.escape(name)}(\s|$)", install_deps, re.MULTILINE), name


def test_every_pip_command_is_held_to_the_constraints_file(parser):
    pins = _constraints()
    for stage in _stages(parser):
        constraints_in_image = [dest for dest, src in _copies(stage).items()
                                if src == "docker/constraints.txt"]
        assert len(constraints_in_image) == 1
        commands = _pip_commands(stage)
        assert commands
        for words in commands:
            if "wheel" in words:
                continue  # --no-deps --no-build-isolation: nothing resolved (test above)
            assert words[words.index("-c") + 1] == constraints_in_image[0], words
            start = words.index("install") + 1
            named = [w for i, w in enumerate(words[start:], start)
                     if not w.startswith(("-", "/")) and words[i - 1] not in ("-c", "-r")]
            for name in named:
                assert _normalize(name) in pins, f"{name} is installed but not pinned"
    final = _stages(parser)[1]
    # Nothing is fetched when a step runs.
    assert "PIP_NO_INDEX=1" in _values(final, "ENV")
    assert not _values(final, "ENTRYPOINT")
    assert "pip" not in " ".join(_values(final, "CMD"))


def test_requirements_build_argument(parser):
    final = _stages(parser)[1]
    assert "REQUIREMENTS=docker/requirements.txt" in _values(final, "ARG")
    default = REPO / "docker" / "requirements.txt"
    assert default.exists()
    assert not [line for line in default.read_text().splitlines()
                if line.strip() and not line.startswith("#")], "the default must install nothing"
    destination = next(dest for dest, src in _copies(final).items() if src == "${REQUIREMENTS}")
    install = [w for w in _pip_commands(final) if "-r" in w]
    assert len(install) == 1 and install[0][install[0].index("-r") + 1] == destination


def test_runtime_libraries_are_pinned_and_cleaned_up(parser):
    final = _stages(parser)[1]
    packages = _apt_packages(final)
    assert {"libzmq5", "libyaml-cpp0.7", "libssl3", "libmd4c0", "libmd4c-html0"} <= set(packages)
    for name, version in packages.items():
        assert version or name in UNPINNED_FOR_SECURITY, f"apt package {name} is not pinned"
    for run in _values(final, "RUN"):
        if "apt-get install" in run:
            assert run.rstrip().endswith("rm -rf /var/lib/apt/lists/*")
    # The pins are the versions this machine builds and tests with, where it has them.
    if shutil.which("dpkg-query"):
        for name, version in packages.items():
            done = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", name],
                                  capture_output=True, text=True)
            if version and done.returncode == 0 and done.stdout.startswith("install ok"):
                assert done.stdout.split()[-1] == version, (name, done.stdout)


def test_runtime_libraries_cover_what_nbexec_links_against(parser):
    """Every library the installed extension and CLI name as NEEDED comes from a package the
    runtime stage installs or the base image has."""
    if not (shutil.which("readelf") and shutil.which("dpkg")):
        pytest.skip("readelf (binutils) or dpkg is not installed")
    import nbexec._core as core

    cli = Path(sys.executable).parent / "nbexec"
    if not cli.exists():
        pytest.skip(f"no {cli} (run scripts/build.sh)")
    needed = set()
    for binary in (cli, Path(core.__file__)):
        dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                                 check=True).stdout
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    assert "libzmq.so.5" in needed
    installed = set(_apt_packages(_stages(parser)[1])) | BASE_IMAGE_PACKAGES
    for soname in sorted(needed):
        owner = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True)
        assert owner.returncode == 0, f"no Debian package holds {soname}"
        packages = {line.split(":")[0] for line in owner.stdout.splitlines()}
        assert packages & installed, f"{soname} ({packages}) is not in the runtime stage"


def test_final_stage_runs_as_a_fixed_non_root_user(parser):
    final = _stages(parser)[1]
    users = [(i, v) for i, v in enumerate(final) if v["instruction"] == "USER"]
    assert users, "the runtime stage has no USER"
    at, user = users[-1]
    uid = user["value"].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user['value']}: a fixed numeric uid, not root"
    useradd = [w for run in _values(final, "RUN") for w in _commands(run) if w[0] == "useradd"]
    assert len(useradd) == 1 and useradd[0][useradd[0].index("--uid") + 1] == uid
    assert "--create-home" in useradd[0]
    home = useradd[0][useradd[0].index("--home-dir") + 1]
    workdirs = [i["value"] for i in final[at:] if i["instruction"] == "WORKDIR"]
    assert workdirs == [home], "the working directory is the user's own home"


def test_smoke_checks_at_build_time_as_the_user(parser):
    final = _stages(parser)[1]
    user_at = max(i for i, v in enumerate(final) if v["instruction"] == "USER")
    checks = [words for v in final[user_at:] if v["instruction"] == "RUN"
              for words in _commands(v["value"])]
    assert ["nbexec", "--version"] in checks
    assert any(w[:4] == ["python3", "-m", "nbexec.kfp.entrypoint", "--help"] for w in checks)


# ---- the runtime stage run here ----------------------------------------------------------------


def _path_without_checkout() -> str:
    """PATH without this checkout's .venv: only the clean environment's tools are found."""
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and not p.startswith(str(REPO)))


@pytest.fixture(scope="module")
def image_env(parser, wheel, tmp_path_factory):
    """The runtime stage's install RUN and smoke-check RUN, in a new folder here: /opt/venv and
    the COPY destinations replaced by local paths. Returns (venv, environment)."""
    root = tmp_path_factory.mktemp("image")
    final = _stages(parser)[1]
    image_env = {}
    for value in _values(final, "ENV"):
        for word in shlex.split(value):
            name, _, setting = word.partition("=")
            image_env[name] = setting
    venv_in_image = image_env["VIRTUAL_ENV"]
    venv = root / "venv"
    requirements = root / "requirements.txt"
    requirements.write_text("{}=={}\n".format(*EXTRA_REQUIREMENT))
    local = {"docker/constraints.txt": str(CONSTRAINTS), "${REQUIREMENTS}": str(requirements),
             "--from=builder /wheels/": str(wheel.parent) + "/"}
    replace = {venv_in_image: str(venv)}
    for dest, src in _copies(final).items():
        replace[dest] = local[src]
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{_path_without_checkout()}",
                    VIRTUAL_ENV=str(venv), PIP_DISABLE_PIP_VERSION_CHECK="1",
                    PYTHONUNBUFFERED="1")

    def run(part):
        for old, new in sorted(replace.items(), key=lambda kv: -len(kv[0])):
            part = part.replace(old, new)
        done = subprocess.run(["sh", "-c", part], capture_output=True, text=True, timeout=600,
                              env=env, cwd=root)
        assert done.returncode == 0, f"{part}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        return done.stdout

    install = next(v for v in _values(final, "RUN") if "-m venv" in v)
    for part in _parts(install):
        if not part.startswith("rm "):  # the image's clean-up of /tmp/nbexec: none here
            run(part)
    # What the ENV after the install says, as the steps see it.
    env["PIP_NO_INDEX"] = image_env["PIP_NO_INDEX"]
    user_at = max(i for i, v in enumerate(final) if v["instruction"] == "USER")
    smoke = [p for v in final[user_at:] if v["instruction"] == "RUN" for p in _parts(v["value"])]
    outputs = {part: run(part) for part in smoke}
    return venv, env, outputs


@pytest.mark.network
def test_clean_environment_holds_only_pinned_packages_and_no_kfp(image_env):
    venv, env, _ = image_env
    frozen = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "freeze"],
                            capture_output=True, text=True, env=env, check=True).stdout
    pins = _constraints()
    pins[EXTRA_REQUIREMENT[0]] = EXTRA_REQUIREMENT[1]
    seen = set()
    for line in frozen.splitlines():
        if line.startswith("nbexec @ ") or line.startswith("nbexec=="):
            seen.add("nbexec")
            continue
        name, _, version = line.partition("==")
        assert pins.get(_normalize(name)) == version, f"{line} is not pinned in {CONSTRAINTS}"
        seen.add(_normalize(name))
    assert {"nbexec", "ipykernel", EXTRA_REQUIREMENT[0]} <= seen
    pip_version = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--version"],
                                 capture_output=True, text=True, env=env, check=True).stdout
    assert pip_version.split()[1] == pins["pip"]
    no_kfp = subprocess.run([str(venv / "bin" / "python"), "-c", "import kfp"],
                            capture_output=True, text=True, env=env)
    assert no_kfp.returncode != 0 and "No module named 'kfp'" in no_kfp.stderr


@pytest.mark.network
def test_smoke_checks_pass_in_the_clean_environment(image_env):
    import nbexec

    venv, _, outputs = image_env
    assert outputs["nbexec --version"].strip().endswith(nbexec.__version__)
    kernels = next(out for command, out in outputs.items() if "kernelspecs" in command)
    assert re.search(rf"^python3\s+python\s+{re.escape(str(venv))}/share/jupyter/kernels/python3$",
                     kernels, re.MULTILINE), kernels


@pytest.mark.network
def test_compiled_container_component_runs_in_the_clean_environment(image_env, tmp_path):
    pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
    pytest.importorskip("yaml")
    from kfp_launch import resolve_container

    from nbexec.kfp import notebook_component

    venv, env, _ = image_env
    notebook = tmp_path / "square.ipynb"
    nbformat.write(make_notebook(
        ["import sys, six, nbexec\n"
         "nbexec.record('prefix', sys.prefix)\n"
         "nbexec.record('squared', n * n)\n"
         "print('six', six.__version__)"],
        parameters_cell="n = 2"), str(notebook))
    op = notebook_component(notebook, image="registry.example/nbexec-runner:1",
                            scraps={"prefix": str, "squared": int})
    command, argv, paths = resolve_container(op, tmp_path, {"n": 3})
    assert command == ["python3", "-m", "nbexec.kfp.entrypoint"]
    # `python3` found on PATH, as the container finds it: the clean environment's.
    done = subprocess.run([*command, *argv], capture_output=True, text=True, timeout=180,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"six {EXTRA_REQUIREMENT[1]}" in done.stdout
    assert "nbexec: run completed (exit 0)" in done.stderr
    executed = read_valid(paths["executed_notebook"])
    assert executed.metadata.papermill.parameters == {"n": 3}
    with open(paths["prefix"], encoding="utf-8") as handle:
        assert os.path.realpath(handle.read()) == os.path.realpath(venv)  # the venv's kernel
    with open(paths["squared"], encoding="utf-8") as handle:
        assert json.loads(handle.read()) == 9
