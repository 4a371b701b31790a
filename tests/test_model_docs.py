"""Parameter documentation of the registered models, read from their numpydoc docstrings."""

import pytest

from tsforecast.exceptions import ParameterError
from tsforecast.model_docs import (UNDOCUMENTED, check_parameter_names, describe_parameters, parameter_defaults,
                                   parse_parameters)
from tsforecast.registry import get_forecaster_class, list_forecasters

DOC = """Summary line.

    Parameters
    ----------
    lags : int
        Window length. More text that is
        not the first sentence.
    typed_only : int
    strategy, scaler, difference, base,
    seed, verbose
        As for :class:`~tsforecast.models.narx_model.NARXForecaster`; default ``'mimo'``.
    dropout, l2 : float
        Penalties, e.g. 0.1. Second sentence.

    Attributes
    ----------
    lags_ : int
        Not a parameter.
    """


def test_grouped_entries_give_every_name_the_group_text():
    docs = parse_parameters(DOC)
    assert list(docs) == ["lags", "typed_only", "strategy", "scaler", "difference", "base", "seed", "verbose",
                          "dropout", "l2"]
    for name in ("strategy", "base", "seed", "verbose"):
        assert docs[name].meaning == "As for NARXForecaster; default 'mimo'."
    assert docs["l2"].type == "float" and docs["l2"].meaning == "Penalties, e.g. 0.1."
    assert docs["lags"].meaning == "Window length."
    assert docs["typed_only"].meaning == f"{UNDOCUMENTED} int"


def test_no_parameters_section_gives_nothing():
    assert parse_parameters("Just a line.") == {} and parse_parameters(None) == {}


@pytest.mark.parametrize("name", list_forecasters())
def test_every_parameter_of_every_model_is_described(name):
    cls = get_forecaster_class(name)
    rows = describe_parameters(cls)
    assert {n: d for n, d, _ in rows} == cls().get_params()
    assert all(meaning for _, _, meaning in rows)


def test_subclass_inherits_its_parents_parameter_docs():
    meanings = {n: m for n, _, m in describe_parameters(get_forecaster_class("lstm"))}
    assert meanings["units"].startswith("Units per recurrent layer")
    assert meanings["peephole"].startswith("Gates see the cell state")


def test_unknown_parameter_names_list_the_valid_ones():
    with pytest.raises(ParameterError, match=r"no parameter\(s\) \['foo'\]; valid parameters: lags, max_lags, ic"):
        check_parameter_names("ar", ["lags", "foo"])
    check_parameter_names("ar", list(parameter_defaults(get_forecaster_class("ar"))))
