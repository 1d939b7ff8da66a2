"""A notebook op's arguments are checked by nbexec's C++ core when the pipeline is built:
unknown names and mistyped constants raise nbexec.ParameterError at @dsl.pipeline, before
anything is compiled or submitted."""

import nbformat
import pytest
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")

from kfp import compiler, dsl  # noqa: E402

import nbexec  # noqa: E402
from nbexec.kfp import notebook_component  # noqa: E402

PARAMS = """\
from typing import Optional
alpha: float = 0.5
epochs = 10
name = "base"
flags = ["a"]
conf = {"k": 1}
limit: Optional[int] = None
start = make_date()
out_dir: str = "out"
"""


@pytest.fixture
def op(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook(["import nbexec\nnbexec.record('score', 0.5)"],
                                 parameters_cell=PARAMS), str(path))
    return notebook_component(path, image="img", artifact_outputs=["out_dir"])


def _build(op, **kwargs):
    @dsl.pipeline
    def pipeline():
        op(**kwargs)

    return pipeline


@pytest.mark.parametrize("kwargs,message", [
    ({"alpah": 0.1}, "unknown parameter 'alpah': the parameters cell defines alpha, epochs, "
                     "name, flags, conf, limit, start, out_dir"),
    ({"alpha": "fast"}, "parameter 'alpha' is number (declared as float) but was given string "
                        "'fast'"),
    ({"epochs": 2.5}, "parameter 'epochs' is integer (its default is 10) but was given "
                      "number 2.5"),
    ({"epochs": True}, "parameter 'epochs' is integer"),
    ({"name": 3}, "parameter 'name' is string"),
    ({"flags": {"a": 1}}, "parameter 'flags' is array"),
    ({"conf": [1]}, "parameter 'conf' is object"),
    ({"limit": "ten"}, "parameter 'limit' is integer"),
    ({"epochs": None}, "parameter 'epochs' is integer"),
    ({"out_dir": "x"}, "receives the path of the op's output artifact 'out_dir'"),
])
def test_bad_constant_raises_at_pipeline_build(op, kwargs, message):
    with pytest.raises(nbexec.ParameterError) as raised:
        _build(op, **kwargs)
    assert str(raised.value).startswith("train (train.ipynb): ")
    assert message in str(raised.value)


def test_every_problem_is_named(op):
    with pytest.raises(nbexec.ParameterError) as raised:
        _build(op, alpha="x", epochs="y", bogus=1)
    text = str(raised.value)
    assert "'alpha'" in text and "'epochs'" in text and "'bogus'" in text


def test_good_constants_compile(op, tmp_path):
    # An int for a float, anything for a parameter of unknown type, and None where the
    # notebook's default is None (left out: KFP has no None constants).
    pipeline = _build(op, alpha=1, epochs=3, name="x", flags=[], conf={}, limit=None,
                      start="2024-01-01")
    compiler.Compiler().compile(pipeline, str(tmp_path / "p.yaml"))
    text = (tmp_path / "p.yaml").read_text()
    assert "limit:" in text  # the input exists, but no constant is given for it
    assert "constant: '2024-01-01'" in text
    assert "constant: 1.0" in text        # alpha=1 given to KFP as a float


def test_none_where_the_notebook_default_is_not_none(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(make_notebook([], parameters_cell="from typing import Optional\n"
                                 "x: Optional[int] = 5"), str(path))
    op = notebook_component(path, image="img")
    with pytest.raises(nbexec.ParameterError, match="KFP cannot pass None"):
        _build(op, x=None)


def test_channels_are_typed_by_kfp(op):
    from kfp.dsl.types.type_utils import InconsistentTypeException

    with pytest.raises(InconsistentTypeException, match="'epochs'"):
        @dsl.pipeline
        def pipeline(text: str = "ten"):
            op(epochs=text)

    @dsl.pipeline
    def ok(n: int = 3, score: float = 0.5):
        first = op(epochs=n)
        op(alpha=first.outputs["score"])  # a float scrap into a float parameter


def test_positional_and_outside_pipeline(op):
    with pytest.raises(TypeError, match="keyword"):
        op(0.5)
    # Outside a pipeline (KFP would run it locally) the check still comes first.
    with pytest.raises(nbexec.ParameterError, match="'epochs'"):
        op(epochs="ten")


def test_strict_parameters_false_opts_an_op_out_of_nbexecs_check(tmp_path):
    from kfp.dsl.types.type_utils import InconsistentTypeException

    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook(["1"], parameters_cell=PARAMS), str(path))
    lenient = notebook_component(path, image="img", strict_parameters=False)
    # What nbexec would have refused is left to KFP's own checks, with KFP's errors.
    with pytest.raises(InconsistentTypeException, match="'epochs'"):
        _build(lenient, epochs=2.5)
    with pytest.raises(TypeError, match="bogus"):
        _build(lenient, bogus=1)
    # ...and the step runs `nbexec run` lenient too.
    args = lenient.component_spec.implementation.container.args
    assert "--no-strict-parameters" in args
    strict = notebook_component(path, image="img")
    assert "--no-strict-parameters" not in strict.component_spec.implementation.container.args
    with pytest.raises(nbexec.ParameterError):
        _build(strict, epochs=2.5)
