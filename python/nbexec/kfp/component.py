"""``notebook_component``: a KFP v2 component typed from the notebook's own parameters cell.

One op, two forms with the same interface:

- the **container form** (the op itself, a ``ContainerComponent``): the image runs
  ``python3 -m nbexec.kfp.entrypoint ...``, which runs ``nbexec run`` on the notebook. This is
  what a cluster runs; the image needs nbexec (``pip install nbexec``) and the notebook's
  kernel, not kfp.
- the **lightweight form** (``op.lightweight``, a ``PythonComponent``): KFP's Python executor
  calls the same runtime. kfp.local's SubprocessRunner runs only this form, so the op switches
  to it by itself when it is called while ``kfp.local`` is initialised with a
  SubprocessRunner. It is for kfp.local only: ``nbexec.kfp.compile_pipeline`` compiles the
  container form whatever kfp.local's state, and a lightweight step that reaches a KFP pod
  anyway stops at once saying so (``local_mode.local_only``).
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from kfp import dsl
from kfp.dsl import base_component
from kfp.dsl.container_component_class import ContainerComponent
from kfp.dsl.python_component import PythonComponent

from nbexec.kfp import codegen, embed, interface, local_mode, validation
from nbexec.kfp import secrets as secrets_module
from nbexec.kfp.interface import Interface
from nbexec.kfp.step import StepConfig

#: The container form's command.
DEFAULT_COMMAND = ("python3", "-m", "nbexec.kfp.entrypoint")


class NotebookComponent(ContainerComponent):
    """A notebook op: the container form, with the lightweight form at ``.lightweight``.

    Calling it checks constant arguments with nbexec's C++ core (``nbexec.ParameterError``);
    see :mod:`nbexec.kfp.validation`.
    """

    def __init__(self, container: ContainerComponent, iface: Interface, make_lightweight,
                 secrets: Optional[Mapping[str, str]] = None):
        super().__init__(container.component_spec, container.pipeline_func)
        self.interface = iface
        #: Secret parameter -> the environment variable the step reads it from.
        self.secrets: dict[str, str] = dict(secrets or {})
        self._make_lightweight = make_lightweight
        self._lightweight: Optional[NotebookPythonComponent] = None

    @property
    def container(self) -> "NotebookComponent":
        return self

    @property
    def lightweight(self) -> "NotebookPythonComponent":
        if self._lightweight is None:
            self._lightweight = self._make_lightweight()
        return self._lightweight

    def __call__(self, *args, **kwargs):
        kwargs = validation.check_arguments(self.interface, args, kwargs)
        if local_mode.subprocess_runner_active():
            local_mode.check_local(self.interface, kwargs)
            return base_component.BaseComponent.__call__(self.lightweight, **kwargs)
        return super().__call__(**kwargs)

    def use_kubernetes_secret(self, task: Any, secret_name: str, keys: Mapping[str, str]):
        """Fills secret parameters of this op's ``task`` from Kubernetes Secret
        ``secret_name``: ``keys`` maps a secret parameter to its key in the Secret
        (kfp-kubernetes' ``use_secret_as_env``). Returns the task."""
        return secrets_module.use_kubernetes_secret(task, self.secrets, secret_name, keys)


class NotebookPythonComponent(PythonComponent):
    """The lightweight form of a notebook op (same interface and checks)."""

    interface: Interface

    def __call__(self, *args, **kwargs):
        kwargs = validation.check_arguments(self.interface, args, kwargs)
        if local_mode.subprocess_runner_active():
            local_mode.check_local(self.interface, kwargs)
        return super().__call__(**kwargs)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def run_options(
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    cwd: Optional[str] = None,
    execution_timeout: Optional[float] = None,
    start_timeout: Optional[float] = None,
    interrupt_on_timeout: bool = False,
    allow_errors: bool = False,
    report_mode: bool = False,
    extra: Sequence[str] = (),
    strict_parameters: bool = True,
) -> list[str]:
    """The ``nbexec run`` options the op passes (docs/cli.md)."""
    options: list[str] = []
    if kernel_name:
        options += ["--kernel", kernel_name]
    if language:
        options += ["--language", language]
    if cwd:
        options += ["--cwd", cwd]
    if start_timeout is not None:
        options += ["--start-timeout", _number(start_timeout)]
    if execution_timeout is not None:
        options += ["--execution-timeout", _number(execution_timeout)]
    if interrupt_on_timeout:
        if execution_timeout is None:
            raise ValueError("interrupt_on_timeout needs execution_timeout")
        options.append("--interrupt-on-timeout")
    if allow_errors:
        options.append("--allow-errors")
    if report_mode:
        options.append("--report-mode")
    if not strict_parameters:
        options.append("--no-strict-parameters")
    return options + [str(o) for o in extra]


def _container_args(iface: Interface, config: StepConfig, ph: Mapping[str, Any]) -> list:
    args: list = ["--notebook-name", iface.notebook_name]
    if config.notebook is not None:
        args += ["--notebook", config.notebook]
    else:
        args += ["--notebook-path", config.notebook_path]
    args += ["--executed-notebook", ph[interface.NOTEBOOK_OUTPUT].path]
    for p in iface.parameters:
        entry = ["--parameter", p.name, p.type, ph[p.name]]
        if p.optional:
            args.append(dsl.IfPresentPlaceholder(input_name=p.name, then=entry))
        else:
            args += entry
    for name in iface.artifact_inputs:
        args += ["--artifact-input", name, ph[name].path]
    for name in iface.artifact_outputs:
        args += ["--artifact-output", name, ph[name].path]
    for name, type_ in iface.scraps.items():
        args += ["--scrap", name, type_, ph[name]]
    if iface.metrics:
        args += ["--metrics", ph[interface.METRICS_OUTPUT].path,
                 "--executor-input", dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER]
    if iface.html:
        args += ["--html", ph[interface.HTML_OUTPUT].path]
    if iface.status_outputs:
        args += ["--on-failure", "succeed", "--status", ph[interface.STATUS_OUTPUT],
                 "--error", ph[interface.ERROR_OUTPUT]]
    return args + ["--", *config.run_options]


def _namespace() -> dict[str, Any]:
    names = ("Input", "Output", "OutputPath") + interface.ARTIFACT_TYPES
    return {name: getattr(dsl, name) for name in names}


def notebook_component(
    notebook_path: Union[str, "os.PathLike[str]"],
    image: str,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    scraps: Optional[Mapping[str, Any]] = None,
    discover_scraps: bool = True,
    parameter_types: Optional[Mapping[str, Any]] = None,
    artifact_inputs: Union[None, Iterable[str], Mapping[str, Any]] = None,
    artifact_outputs: Union[None, Iterable[str], Mapping[str, Any]] = None,
    metrics: bool = False,
    html: bool = False,
    on_failure: str = "fail",
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    cwd: Optional[str] = None,
    execution_timeout: Optional[float] = None,
    start_timeout: Optional[float] = None,
    interrupt_on_timeout: bool = False,
    allow_errors: bool = False,
    report_mode: bool = False,
    strict_parameters: bool = True,
    nbexec_options: Sequence[str] = (),
    notebook_in_image: Optional[str] = None,
    command: Sequence[str] = DEFAULT_COMMAND,
    packages_to_install: Sequence[str] = (),
    install_kfp_package: bool = False,
    # --- secrets (issue 20) ---
    secrets: Optional[Mapping[str, str]] = None,
) -> NotebookComponent:
    """A KFP v2 component that runs the notebook with ``nbexec run`` in ``image``.

    Inputs: the notebook's parameters, typed and defaulted from its parameters cell (str, int,
    float, bool, list, dict; a parameter without a usable default is an optional input, and
    the notebook keeps its own default when it is left out), plus ``artifact_inputs``.
    Outputs: ``executed_notebook`` (an Artifact), one output parameter per scrap (``scraps``
    declared as ``{"accuracy": float}``, plus those found in the source when
    ``discover_scraps``), ``metrics`` (a Metrics artifact of the numeric scraps) and ``html``
    when asked, ``artifact_outputs``, and ``status`` / ``error`` with ``on_failure="succeed"``.

    ``on_failure="fail"`` (default) fails the step when the notebook fails (KFP then keeps no
    outputs); ``"succeed"`` ends the step successfully with every output, the executed
    notebook showing the error included, and ``status``/``error`` saying what happened.

    Calling the op in a pipeline checks its constant arguments against the notebook's
    parameters cell (``nbexec.ParameterError`` while the pipeline is built), and the step runs
    ``nbexec run`` strict. ``strict_parameters=False`` opts out of both: KFP's own type checks
    remain, and the step logs what nbexec would have refused as warnings.

    ``secrets={"token": "API_TOKEN"}`` makes ``token`` a secret parameter: not an input of
    the op, its value read in the pod from environment variable ``API_TOKEN`` (``nbexec run
    --secret token=API_TOKEN``, over ipc), given to the kernel only and masked in the
    executed notebook and the logs. Fill the variable from a Kubernetes Secret with
    ``op.use_kubernetes_secret(task, "secret-name", {"token": "key"})``.

    See docs/kfp.md.
    """
    iface = interface.read_interface(
        notebook_path, name=name, description=description, kernel_name=kernel_name,
        language=language, scraps=scraps, discover_scraps=discover_scraps,
        parameter_types=parameter_types, artifact_inputs=artifact_inputs,
        artifact_outputs=artifact_outputs, metrics=metrics, html=html, on_failure=on_failure)
    iface.strict_parameters = strict_parameters
    secret_envs = secrets_module.check_secrets(secrets)
    secrets_module.check_secret_parameters(secret_envs, iface, strict_parameters)
    # A secret is not an input: its value never passes through the pipeline.
    iface.parameters = [p for p in iface.parameters if p.name not in secret_envs]
    config = StepConfig(
        notebook_name=iface.notebook_name,
        notebook=None if notebook_in_image else embed.pack(iface.notebook_text),
        notebook_path=notebook_in_image,
        parameters={p.name: p.type for p in iface.parameters},
        artifact_inputs=list(iface.artifact_inputs),
        artifact_outputs=list(iface.artifact_outputs),
        scraps=dict(iface.scraps), metrics=metrics, html=html, on_failure=on_failure,
        run_options=run_options(kernel_name, language, cwd, execution_timeout, start_timeout,
                                interrupt_on_timeout, allow_errors, report_mode, nbexec_options,
                                strict_parameters)
        + secrets_module.secret_run_options(secret_envs, nbexec_options),
    )
    names = codegen.argument_names(iface)

    def container_spec(placeholders: tuple) -> dsl.ContainerSpec:
        ph = dict(zip(names, placeholders))
        return dsl.ContainerSpec(image=image, command=list(command),
                                 args=_container_args(iface, config, ph))

    tuple_text = "(" + "".join(f"{n}, " for n in names) + ")"
    namespace = {**_namespace(), "_nbexec_container_spec": container_spec}
    func = codegen.compile_function(
        codegen.source(iface, [f"return _nbexec_container_spec({tuple_text})"]),
        iface.name, namespace)
    container = dsl.container_component(func)

    def make_lightweight() -> NotebookPythonComponent:
        mapping = "{" + "".join(f"{n!r}: {n}, " for n in names) + "}"
        body = ["from nbexec.kfp.step import run_lightweight as _nbexec_run_lightweight",
                f"_nbexec_run_lightweight({config.to_json()!r}, {mapping})"]
        lw_func = codegen.compile_function(codegen.source(iface, body), iface.name,
                                           dict(_namespace()))
        built = dsl.component(lw_func, base_image=image,
                              packages_to_install=list(packages_to_install),
                              install_kfp_package=install_kfp_package)
        local_mode.local_only(built)
        component = NotebookPythonComponent(built.component_spec, built.python_func)
        component.interface = iface
        return component

    return NotebookComponent(container, iface, make_lightweight, secret_envs)
