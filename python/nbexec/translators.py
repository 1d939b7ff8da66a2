"""Parameter translators: how a parameter value is written in the kernel's language.

nbexec's C++ core renders every language papermill supports. A new language (or a different
rendering for a kernel) is registered from Python with :func:`register_translator`, either as a
subclass of :class:`Translator` -- papermill's hooks, so a papermill translator class works too --
or as a plain callable ``translator(parameters, comment) -> str``::

    class LuaTranslator(nbexec.Translator):
        @classmethod
        def comment(cls, text):
            return f"-- {text}".strip()

        @classmethod
        def translate_none(cls, val):
            return "nil"

    nbexec.register_translator("lua", LuaTranslator)

The translator is chosen as papermill chooses: by kernel name, then by language.
"""

from nbexec import _core

__all__ = ["Translator", "register_translator", "render_parameters", "translator_names"]


class Translator:
    """papermill's Translator base class: one classmethod hook per JSON/YAML type.

    A subclass overrides what its language writes differently; codify() is what nbexec calls.
    A hook that meets a value its language cannot express should raise
    :class:`nbexec.ParameterError` (nbexec adds the parameter's name).
    """

    @classmethod
    def translate_raw_str(cls, val):
        return f"{val}"

    @classmethod
    def translate_escaped_str(cls, str_val):
        if isinstance(str_val, str):
            str_val = str_val.encode("unicode_escape").decode("utf-8").replace('"', r"\"")
        return f'"{str_val}"'

    @classmethod
    def translate_str(cls, val):
        return cls.translate_escaped_str(val)

    @classmethod
    def translate_none(cls, val):
        return cls.translate_raw_str(val)

    @classmethod
    def translate_int(cls, val):
        return cls.translate_raw_str(val)

    @classmethod
    def translate_float(cls, val):
        return cls.translate_raw_str(val)

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_dict(cls, val):
        raise _core.ParameterError(f"dict values cannot be expressed by {cls.__name__}")

    @classmethod
    def translate_list(cls, val):
        raise _core.ParameterError(f"list values cannot be expressed by {cls.__name__}")

    @classmethod
    def translate(cls, val):
        if val is None:
            return cls.translate_none(val)
        if isinstance(val, str):
            return cls.translate_str(val)
        if isinstance(val, bool):  # before int: bool is an int
            return cls.translate_bool(val)
        if isinstance(val, int):
            return cls.translate_int(val)
        if isinstance(val, float):
            return cls.translate_float(val)
        if isinstance(val, dict):
            return cls.translate_dict(val)
        if isinstance(val, list):
            return cls.translate_list(val)
        return cls.translate_escaped_str(val)

    @classmethod
    def comment(cls, cmt_str):
        raise NotImplementedError(f"comment translation not implemented for {cls.__name__}")

    @classmethod
    def assign(cls, name, str_val):
        return f"{name} = {str_val}"

    @classmethod
    def codify(cls, parameters, comment="Parameters"):
        content = f"{cls.comment(comment)}\n"
        for name, val in parameters.items():
            try:
                content += f"{cls.assign(name, cls.translate(val))}\n"
            except _core.ParameterError as error:
                raise _core.ParameterError(f"parameter '{name}': {error}") from None
        return content


def register_translator(name, translator):
    """Use ``translator`` for kernels or languages called ``name`` (replacing any before).

    ``translator`` is a :class:`Translator` subclass or instance (anything with
    ``codify(parameters, comment)``), or a callable ``translator(parameters, comment) -> str``.
    It is used by :func:`nbexec.execute_notebook`, the injected cell of every run in this
    process, and :func:`render_parameters`.
    """
    if not isinstance(name, str) or not name:
        raise TypeError("a translator is registered under a non-empty kernel name or language")
    _core.register_translator(name, translator)


def render_parameters(parameters, kernel_name, language, comment="Parameters"):
    """The injected-parameters cell's source for this kernel (or language)."""
    return _core.render_parameters(parameters, kernel_name, language, comment)


def translator_names():
    """Kernel names and languages with a translator, in registration order."""
    return list(_core.translator_names())

