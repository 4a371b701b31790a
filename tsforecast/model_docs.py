"""What the registered forecasters take: their parameters, defaults and documented meaning.

The meaning of a parameter is read from the numpydoc ``Parameters`` section of the class
docstring, the defaults from the signature of ``__init__`` (network classes generate an
``__init__`` with a real signature), so ``tsforecast models`` shows what the code declares.
Nothing here imports TensorFlow: the model modules import it only when a network is built.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from .exceptions import ParameterError
from .registry import REGISTRY, get_forecaster_class, list_forecasters

UNDOCUMENTED = "(undocumented)"

_HEADER = re.compile(r"^(?P<names>[^:]*?)\s*(?::\s*(?P<type>.*))?$")
_ROLE = re.compile(r":[\w:]+:`~?([^`]*?)`")
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!\bal)(?<!\bcf)(?<!\.)\.\s+")  # not after e.g., et al., ..


@dataclass(frozen=True)
class ParameterDoc:
    """One documented parameter.

    Parameters
    ----------
    type : str
        The type spec after ``name :`` ("" when the entry has none).
    text : str
        The description, its lines joined by single spaces ("" when the entry has none).
    """

    type: str
    text: str

    @property
    def meaning(self) -> str:
        """The first sentence of the description without reST markup, else "(undocumented)" and the type."""
        if not self.text:
            return f"{UNDOCUMENTED} {plain_text(self.type)}".strip()
        text = plain_text(self.text)
        end = _SENTENCE_END.search(text)
        return text[:end.start() + 1] if end else text


def plain_text(text: str) -> str:
    """``text`` without reST roles and literals: ``:class:`~a.B``` -> ``B``, ````x```` -> ``x``.

    Parameters
    ----------
    text : str
        A docstring fragment.

    Returns
    -------
    str
        The fragment as plain text, whitespace collapsed.
    """
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if m.group(0).split("`")[1].startswith("~")
                     else m.group(1), text)
    return " ".join(text.replace("``", "").split())


def _section(lines: list, title: str) -> list:
    """The lines of the numpydoc section ``title`` (between its dashes and the next section)."""
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and set(lines[i + 1].strip()) == {"-"}:
            body = []
            for j in range(i + 2, len(lines)):
                if j + 1 < len(lines) and lines[j].strip() and set(lines[j + 1].strip()) == {"-"}:
                    break
                body.append(lines[j])
            return body
    return []


def parse_parameters(doc) -> dict:
    """The entries of the ``Parameters`` section of a numpydoc docstring, one per name.

    A grouped entry such as ``strategy, scaler, difference : As for NARXForecaster`` (whose
    name list may continue on the next line after a trailing comma) gives every name in it
    the group's type and text.

    Parameters
    ----------
    doc : str or None
        A docstring (indented as written, or already cleaned).

    Returns
    -------
    dict
        ``{name: ParameterDoc}`` in the order documented; empty without a ``Parameters`` section.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    entries, names, type_, text, continued = {}, [], "", [], False

    def flush():
        for name in names:
            entries[name] = ParameterDoc(type_, " ".join(text))

    for line in _section(lines, "Parameters"):
        if not line.strip():
            continue
        if line[0].isspace():  # description of the current entry
            text.append(line.strip())
            continue
        if continued:  # the name list of a group goes on
            match = _HEADER.match(line.strip())
            names += [n.strip() for n in match["names"].split(",") if n.strip()]
            type_ = match["type"] or ""
        else:
            flush()
            match = _HEADER.match(line.strip())
            names = [n.strip() for n in match["names"].split(",") if n.strip()]
            type_, text = match["type"] or "", []
        continued = match["type"] is None and line.rstrip().endswith(",")
    flush()
    return entries


def parameter_defaults(cls) -> dict:
    """Every parameter of ``cls.__init__`` with its default (``inspect.Parameter.empty`` if required).

    Parameters
    ----------
    cls : type
        A forecaster class.

    Returns
    -------
    dict
        ``{name: default}`` in signature order, without ``self`` and ``*args``/``**kwargs``.
    """
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return {p.name: p.default for p in params if p.kind not in skip}


def summary(cls) -> str:
    """The first line of the class docstring ("" without one).

    Parameters
    ----------
    cls : type
        A forecaster class.

    Returns
    -------
    str
    """
    doc = inspect.getdoc(cls) or ""
    return plain_text(doc.splitlines()[0]) if doc.strip() else ""


def model_summaries() -> list:
    """``(short name, class name, first docstring line)`` of every registered forecaster.

    Returns
    -------
    list of tuple
        Sorted by short name. Model modules are imported (not TensorFlow).
    """
    return [(name, REGISTRY[name].rsplit(":", 1)[1], summary(get_forecaster_class(name)))
            for name in list_forecasters()]


def describe_parameters(cls) -> list:
    """``(name, default, meaning)`` of every parameter of a forecaster class.

    Parameters
    ----------
    cls : type
        A forecaster class.

    Returns
    -------
    list of tuple
        In signature order; ``meaning`` is :attr:`ParameterDoc.meaning` from the first class in
        the MRO whose docstring documents the parameter (a subclass such as ``LSTMForecaster``
        inherits its parents' entries), or "(undocumented)".
    """
    docs = {}
    for klass in reversed(cls.__mro__):
        docs.update(parse_parameters(klass.__dict__.get("__doc__")))
    return [(name, default, docs[name].meaning if name in docs else UNDOCUMENTED)
            for name, default in parameter_defaults(cls).items()]


def check_parameter_names(name: str, params) -> None:
    """Refuse parameter names that the registered model ``name`` does not take.

    Parameters
    ----------
    name : str
        A registry name, e.g. ``"ar"``.
    params : iterable of str
        Parameter names given by the user.

    Raises
    ------
    ParameterError
        If ``name`` is not registered, or naming the unknown parameters and listing the valid ones.
    """
    valid = list(parameter_defaults(get_forecaster_class(name)))
    unknown = [p for p in params if p not in valid]
    if unknown:
        raise ParameterError(f"model {name!r} has no parameter(s) {unknown}; valid parameters: {', '.join(valid)} "
                             f"(see 'tsforecast models {name}').")
