"""Type stubs for nbexec._core, the C++ core (internal: use the nbexec package)."""

import builtins
import enum
import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union

__version__: str

class Error(builtins.RuntimeError): ...
class UsageError(Error): ...
class NotebookError(Error): ...
class ParameterError(Error): ...
class ProtocolError(Error): ...
class KernelError(Error): ...
class KernelNotFoundError(KernelError): ...
class KernelDiedError(KernelError): ...
class TimeoutError(Error, builtins.TimeoutError): ...

# pool_bindings.cpp
class KernelPool:
    def __init__(
        self,
        size: int = 2,
        fork: bool = True,
        preload: Sequence[str] = [],
        start_timeout: float = 60.0,
        env_prefix: Optional[str] = None,
        transport: str = "auto",
        encryption: str = "auto",
        log: Optional[Callable[[str, str], Any]] = None,
    ) -> None: ...
    def shutdown(self) -> None: ...
    def warm_up(self, kernel_name: str, cwd: Optional[str] = None,
                start_timeout: float = 60.0) -> None: ...
    def stats(self) -> dict[str, Any]: ...

# run_bindings.cpp
class ParameterCheck(enum.Enum):
    strict = ...
    warn = ...
    warn_unknown = ...
    off = ...

class RunOptions:
    input_path: os.PathLike[str]
    output_path: os.PathLike[str]
    parameters: dict[str, Any]
    kernel_name: str
    language: str
    cwd: Optional[os.PathLike[str]]
    start_timeout: float
    execution_timeout: Optional[float]
    interrupt_on_timeout: bool
    deadline: Optional[float]
    request_save_on_cell_execute: bool
    autosave_cell_every: float
    transport: str
    secrets: dict[str, str]
    allow_insecure_secrets: bool
    encryption: str
    allow_errors: bool
    report_mode: bool
    parameter_check: ParameterCheck
    prepare_only: bool
    env_prefix: Optional[os.PathLike[str]]
    kernels: Optional[KernelPool]
    def __init__(self) -> None: ...

class CellFailure:
    @property
    def cell_index(self) -> int: ...
    @property
    def exec_count(self) -> Optional[int]: ...
    @property
    def source(self) -> str: ...
    @property
    def ename(self) -> str: ...
    @property
    def evalue(self) -> str: ...
    @property
    def traceback(self) -> list[str]: ...

class RunResult:
    @property
    def notebook(self) -> dict[str, Any]: ...
    @property
    def input_path(self) -> os.PathLike[str]: ...
    @property
    def output_path(self) -> os.PathLike[str]: ...
    @property
    def failure(self) -> Optional[CellFailure]: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def timed_out_cells(self) -> list[int]: ...
    @property
    def cells_executed(self) -> int: ...
    @property
    def saves(self) -> int: ...
    @property
    def bytes_written(self) -> int: ...

def run(
    options: RunOptions,
    log: Optional[Callable[[str, str], Any]] = None,
    output: Optional[Callable[[int, dict[str, Any]], Any]] = None,
    event: Optional[Callable[[dict[str, Any]], Any]] = None,
    event_kinds: Sequence[str] = [],
) -> RunResult:
    """Load, parameterize, execute and save a notebook; the GIL is released while the kernel
    runs."""

STRICT_PARAMETERS_VARIABLE: str

def resolve_strict_parameters(choice: Optional[bool], surface_default: bool) -> bool: ...

# module.cpp
def roundtrip_notebook_text(text: str) -> str: ...
def validate_notebook_text(text: str) -> list[tuple[str, str]]: ...
def validate_roundtrip_notebook_text(text: str) -> tuple[list[tuple[str, str]], Optional[str]]: ...
def list_kernelspecs(env_prefix: Optional[str] = None) -> list[dict[str, Any]]: ...

# translator_bindings.cpp
def render_parameters(
    parameters: dict[str, Any], kernel_name: str, language: str, comment: str = "Parameters"
) -> str: ...
def register_translator(name: str, translator: Any) -> None: ...
def infer_parameter(text: str) -> Any: ...
def parse_parameters_yaml(text: str, origin: str = "<yaml>") -> Any: ...
def translator_names() -> list[str]: ...

# inspect_bindings.cpp
def inspect_notebook_text(text: str, kernel_name: str = "", language: str = "") -> dict[str, Any]: ...
def parameters_json_schema(
    text: str, kernel_name: str = "", language: str = "", title: str = ""
) -> dict[str, Any]: ...

# check_bindings.cpp
def check_parameters_text(
    text: str, parameters: Mapping[str, Any], kernel_name: str = "", language: str = ""
) -> list[dict[str, str]]: ...
def parameterize_path(path: str, parameters: Mapping[str, Any], what: str = "path") -> str: ...

# sources_bindings.cpp
def merge_parameters(
    base64_yaml: Sequence[str],
    files: Sequence[Union[str, "os.PathLike[str]"]],
    yaml: Sequence[str],
    inferred: Sequence[tuple[str, str]],
    raw: Sequence[tuple[str, str]],
) -> dict[str, Any]: ...

# sweep_bindings.cpp
def plan_sweep(
    grid_text: str,
    origin: str,
    output_template: str,
    fixed_parameters: Optional[Mapping[str, Any]],
    shard: Optional[str] = None,
) -> list[dict[str, Any]]: ...

# sweep_run_bindings.cpp
def run_sweep(
    options: RunOptions,
    grid_text: str,
    grid_origin: str,
    output_template: str,
    shard: Optional[str] = None,
    jobs: int = 0,
    fail_fast: bool = False,
    fork: bool = True,
    preload: Sequence[str] = [],
    log: Optional[Callable[[str, str], Any]] = None,
    run_log: Optional[Callable[[int, str, str], Any]] = None,
) -> dict[str, Any]: ...

# render_bindings.cpp
def render_notebook_text(text: str, title: str = "", output_path: str = "") -> str: ...
def render_notebook_file(path: str, output_path: str = "", title: str = "") -> str: ...
