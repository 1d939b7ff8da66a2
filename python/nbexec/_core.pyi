"""Type stubs for nbexec._core, the C++ core (internal: use the nbexec package)."""

import os
from typing import Any, Callable, Mapping, Optional, Sequence, Union

__version__: str

class Error(RuntimeError): ...
class UsageError(Error): ...
class NotebookError(Error): ...
class ParameterError(Error): ...
class ProtocolError(Error): ...
class KernelError(Error): ...
class KernelNotFoundError(KernelError): ...
class KernelDiedError(KernelError): ...
class TimeoutError(Error): ...

def run(
    input_path: str,
    output_path: str,
    parameters: Optional[Mapping[str, Any]],
    kernel_name: str,
    language: str,
    cwd: Optional[str],
    start_timeout: float,
    execution_timeout: Optional[float],
    allow_errors: bool,
    report_mode: bool,
    prepare_only: bool,
    log_output: bool,
    env_prefix: Optional[str],
    log: Optional[Callable[[str, str], Any]],
    output: Optional[Callable[[int, str], Any]],
    parameter_check: str = "strict",
    request_save_on_cell_execute: bool = True,
    autosave_cell_every: float = 30.0,
    interrupt_on_timeout: bool = False,
    event: Optional[Callable[[str], Any]] = None,
    event_kinds: Sequence[str] = [],
) -> dict[str, Any]:
    """Load, parameterize, execute and save a notebook; the GIL is released while the kernel
    runs. Returns {'notebook': json text, 'failure': dict | None, 'cancelled': bool,
    'timed_out_cells': list[int]}."""

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
def parameters_json_schema_text(
    text: str, kernel_name: str = "", language: str = "", title: str = ""
) -> str: ...

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
