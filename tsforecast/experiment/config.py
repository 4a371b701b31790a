"""Experiment configuration: read a TOML file (or a dict), check every key, apply a profile.

A config names one dataset (``dataset = ...``) or several (``[datasets.<label>]``
tables, each merged over the shared top-level settings), a ``[protocol]``, and
``[models.<label>]`` tables (``model = "<registry name>"`` plus parameters;
TOML has no null, so a parameter written ``"none"`` is passed as None).
``[profiles.<name>]`` tables override any of these; ``--full`` selects
``profiles.full``. Setting a model table to ``false`` (``lstm = false`` under
``[models]``) drops that model, e.g. from one dataset or profile.

``missing`` is ``"raise"`` (default) or ``"ffill"``: the data are filled once,
before the backtest, so only a causal fill is allowed (each gap takes the last
value observed before it; leading and trailing gaps are trimmed).
``"interpolate"`` is refused: it would let a value after an origin shape the
history the forecast from that origin sees.

Everything is checked before anything runs: an unknown key, model or parameter
fails in a second, not after an hour of training.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..exceptions import ConfigError, ParameterError
from ..validation import CAUSAL_MISSING_POLICIES

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"

TOP_KEYS = {"name", "description", "seed", "dataset", "column", "series", "missing", "protocol", "models",
            "baseline", "datasets", "profiles"}
RUN_KEYS = {"dataset", "column", "series", "missing", "protocol", "models", "baseline", "description"}
PROTOCOL_KEYS = {"initial", "train_fraction", "test_size", "horizon", "step", "refit", "window", "metrics", "headline",
                 "coverage", "seasonal_period", "n_jobs", "periods"}
PERIODS = ("frequency", "detect")
# Keys of a model table the runner reads itself; every other key is a model parameter.
MODEL_RUNNER_KEYS = {"model", "global", "search", "fallback"}
WINDOWS = ("expanding", "sliding")
KNOWN_METRICS = ("mae", "rmse", "mape", "smape", "mase", "r2", "directional_accuracy")


@dataclass(frozen=True)
class ModelSpec:
    """One model of an experiment: a registry name and its parameters.

    ``global_`` models are fitted once over all series of a multi-series dataset.
    """

    label: str
    model: str
    params: dict
    global_: bool = False
    search: dict | None = None  # {param: [candidates]}: chosen by cross-validation inside the training part
    fallback: str | None = None  # a simpler model taken instead when it cross-validates at least as well

    def build(self, horizon=None):
        """A fresh, unfitted forecaster.

        ``horizon``: the protocol's lead times, given to a model that has a ``horizon`` parameter
        the config leaves unset, so one recipe serves datasets forecast 24 or 7 steps ahead.
        """
        from ..registry import get_forecaster, get_forecaster_class

        params = dict(self.params)
        if horizon is not None and "horizon" not in params and "horizon" in get_forecaster_class(self.model)._get_param_names():
            params["horizon"] = int(horizon)
        return get_forecaster(self.model, **params)

    def build_fallback(self, horizon=None):
        """A fresh ``fallback`` model (None without one), built as a model of that name with no parameters."""
        return None if self.fallback is None else ModelSpec(self.label, self.fallback, {}).build(horizon)


@dataclass
class RunSpec:
    """Everything needed to evaluate the models on one dataset."""

    label: str
    dataset: str
    column: str | None
    series: object
    missing: str
    protocol: dict
    models: dict
    baseline: str | None
    base_dir: Path | None = None  # relative dataset paths are looked up here first


@dataclass
class ExperimentConfig:
    """A checked experiment configuration with its profile applied."""

    name: str
    seed: int
    description: str
    profile: str
    source: Path | None
    runs: list
    resolved: dict = field(repr=False)  # the merged dict (profile applied, seeds filled); saved with the results
    selected: tuple | None = None  # dataset labels chosen with ``datasets=`` (None: all of them)


def _where(source) -> str:
    return str(source) if source is not None else "the config dict"


def read_config_file(path) -> dict:
    """Parse a TOML (or JSON) config file into a dict; ConfigError with the line on bad syntax."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _check_keys(table, allowed, where, context):
    if not isinstance(table, dict):
        raise ConfigError(f"{context} in {where} must be a table, got {table!r}.")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {context} of {where}; allowed keys: {sorted(allowed)}.")


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` merged into a copy of ``base``; nested tables merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_protocol(p, where, context):
    _check_keys(p, PROTOCOL_KEYS, where, context)

    def bad(key, what):
        raise ConfigError(f"{context}.{key} in {where} must be {what}, got {p[key]!r}.")

    for key in ("initial", "test_size", "horizon", "step", "seasonal_period", "n_jobs"):
        if key in p and not (_is_int(p[key]) and p[key] >= 1):
            bad(key, "an integer >= 1")
    if "train_fraction" in p and not (isinstance(p["train_fraction"], (int, float)) and 0 < p["train_fraction"] < 1):
        bad("train_fraction", "a number between 0 and 1")
    split = [k for k in ("initial", "train_fraction", "test_size") if k in p]
    if len(split) > 1:
        raise ConfigError(f"{context} in {where} sets {split}; keep one of them.")
    if "refit" in p and not (isinstance(p["refit"], bool) or (_is_int(p["refit"]) and p["refit"] >= 1)):
        bad("refit", "true, false or a positive integer (refit every k origins)")
    if "window" in p and p["window"] not in WINDOWS:
        bad("window", f"one of {WINDOWS}")
    if "metrics" in p:
        if not (isinstance(p["metrics"], list) and p["metrics"] and all(isinstance(m, str) for m in p["metrics"])):
            bad("metrics", "a non-empty list of metric names")
        unknown = [m for m in p["metrics"] if m not in KNOWN_METRICS]
        if unknown:
            raise ConfigError(f"unknown metric {unknown[0]!r} in {context}.metrics of {where}; choose from {KNOWN_METRICS}.")
    if "headline" in p and p["headline"] not in p.get("metrics", KNOWN_METRICS):
        bad("headline", "one of the protocol's metrics")
    if "coverage" in p and not (isinstance(p["coverage"], float) and 0 < p["coverage"] < 1):
        bad("coverage", "a number between 0 and 1 (e.g. 0.9)")
    if "periods" in p and p["periods"] not in PERIODS:
        bad("periods", f"one of {PERIODS} (the frequency's season lengths, or measured on the data)")


def _param_value(value):
    """TOML has no null and no tuples: ``"none"`` means None (also inside arrays and tables, such as an
    ensemble's members), arrays become tuples."""
    if value == "none":
        return None
    if isinstance(value, dict):
        return {k: _param_value(v) for k, v in value.items()}
    return tuple(_param_value(v) for v in value) if isinstance(value, list) else value


def _model_specs(models, seed, where, context):
    from ..registry import get_forecaster_class, list_forecasters

    if not isinstance(models, dict) or not models:
        raise ConfigError(f"{where} defines no models; add [models.<label>] tables with model = \"<name>\".")
    specs = {}
    for label, table in models.items():
        if table is False:
            continue
        ctx = f"{context}.{label}"
        if not isinstance(table, dict):
            raise ConfigError(f"{ctx} in {where} must be a table (or false to drop the model), got {table!r}.")
        name = table.get("model")
        if not isinstance(name, str):
            raise ConfigError(f"{ctx} in {where} needs model = \"<name>\", one of {list_forecasters()}.")
        try:
            cls = get_forecaster_class(name)
        except ParameterError:
            raise ConfigError(f"unknown model {name!r} in {ctx} of {where}; choose one of {list_forecasters()}.") from None
        is_global = table.get("global", False)
        if not isinstance(is_global, bool):
            raise ConfigError(f"{ctx}.global in {where} must be true or false.")
        if is_global and not cls.get_tag("global"):
            raise ConfigError(f"{ctx} in {where}: model {name!r} cannot be fitted over many series (global = true).")
        params = {k: _param_value(v) for k, v in table.items() if k not in MODEL_RUNNER_KEYS}
        if cls.get_tag("stochastic") and "seed" not in params:
            params["seed"] = seed
        unknown = sorted(set(params) - set(cls._get_param_names()))
        if unknown:
            raise ParameterError(f"{ctx} in {where}: {name!r} has no parameter {unknown[0]!r}; its parameters are "
                                 f"{cls._get_param_names()}.")
        search = table.get("search")
        if search is not None:
            if not isinstance(search, dict) or not search or not all(isinstance(v, list) and v for v in search.values()):
                raise ConfigError(f"{ctx}.search in {where} must be a table of non-empty candidate lists, "
                                  f"e.g. search = {{ lags = [24, 168] }}.")
            bad = sorted(set(search) - set(cls._get_param_names()))
            if bad:
                raise ParameterError(f"{ctx}.search in {where}: {name!r} has no parameter {bad[0]!r}.")
            search = {k: [_param_value(v) for v in values] for k, values in search.items()}
        fallback = table.get("fallback")
        if fallback is not None:
            if not isinstance(fallback, str) or fallback not in list_forecasters():
                raise ConfigError(f"{ctx}.fallback in {where} must name a model, e.g. fallback = \"seasonal_naive\"; "
                                  f"one of {list_forecasters()}, got {fallback!r}.")
            if get_forecaster_class(fallback).get_tag("global") or get_forecaster_class(fallback).get_tag("neural"):
                raise ConfigError(f"{ctx}.fallback in {where}: the fallback is the simple model taken when "
                                  f"{name!r} does not beat it on the folds; {fallback!r} is not one (use e.g. "
                                  f"\"seasonal_naive\" or \"naive\").")
        spec = ModelSpec(label, name, params, is_global, search, fallback)
        try:
            spec.build()._check_params()
        except ParameterError as exc:
            raise ParameterError(f"{ctx} in {where}: {exc}") from None
        specs[label] = spec
    if not specs:
        raise ConfigError(f"{where}: every model is switched off; keep at least one.")
    return specs


def _check_missing(missing, where):
    """The experiment's missing-value policy; only causal fills, because the whole series is filled once."""
    if missing == "interpolate":
        raise ConfigError(
            f"missing = \"interpolate\" in {where} would fill each gap from the value after it over the whole "
            f"series before the backtest, so forecasts made before that value would depend on it. Use "
            f"missing = \"ffill\" (each gap takes the last value observed before it), or fill the gaps yourself "
            f"inside each fold from the data before its origin."
        )
    if missing not in CAUSAL_MISSING_POLICIES:
        raise ConfigError(f"missing in {where} must be one of {list(CAUSAL_MISSING_POLICIES)}, got {missing!r}.")
    return missing


def _run_spec(label, run, seed, where, base_dir):
    context = f"datasets.{label}" if label else "the config"
    dataset = run.get("dataset")
    if not isinstance(dataset, str) or not dataset:
        raise ConfigError(f"{context} in {where} needs dataset = \"<name or path to a timestamp,value CSV/Parquet>\".")
    protocol = run.get("protocol", {})
    _check_protocol(protocol, where, f"{context + '.' if label else ''}protocol")
    column = run.get("column")
    if column is not None and not isinstance(column, str):
        raise ConfigError(f"column in {where} must be a column name, got {column!r}.")
    series = run.get("series")
    if series is not None and not (isinstance(series, str) or _is_int(series) and series >= 1
                                   or isinstance(series, list) and all(isinstance(s, str) for s in series)):
        raise ConfigError(f"series in {where} must be an id, a list of ids, a count, or \"all\"; got {series!r}.")
    missing = _check_missing(run.get("missing", "raise"), where)
    models = _model_specs(run.get("models"), seed, where, f"{context + '.' if label else ''}models")
    baseline = run.get("baseline")
    if baseline is not None and baseline not in models:
        raise ConfigError(f"baseline {baseline!r} in {where} is not one of the models {sorted(models)}.")
    # global = true on a single series is a model fitted on that series: one recipe serves both kinds of data.
    return RunSpec(label or Path(dataset).stem, dataset, column, series, missing, protocol, models, baseline, base_dir)


def load_config(config=None, *, profile="quick", seed=None, name=None, datasets=None) -> ExperimentConfig:
    """Read, check and resolve an experiment configuration.

    Parameters
    ----------
    config : str, Path, dict or None
        A TOML (or JSON) file, a dict of the same shape, or None for the
        packaged default experiment.
    profile : str
        ``"quick"`` uses the settings as written (plus ``[profiles.quick]`` if
        present); any other name applies ``[profiles.<name>]`` (``"full"``:
        paper scale).
    seed : int, optional
        Overrides the config's ``seed``.
    name : str, optional
        Overrides the config's ``name`` (the results sub-directory).
    datasets : sequence of str, optional
        Run only these ``[datasets.<label>]`` of the config (after the profile is applied).

    Raises
    ------
    ConfigError
        Missing file, bad syntax, unknown key, model or dataset layout.
    ParameterError
        A model parameter the model rejects.
    """
    source = None
    if config is None:
        config = DEFAULT_CONFIG
    if isinstance(config, (str, Path)):
        source = Path(config)
        raw = read_config_file(source)
    elif isinstance(config, dict):
        raw = copy.deepcopy(config)
    else:
        raise ConfigError(f"config must be a path to a TOML file, a dict or None, got {type(config).__name__}.")
    where = _where(source)
    _check_keys(raw, TOP_KEYS, where, "the top level")

    profiles = raw.pop("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"profiles in {where} must hold one table per profile, e.g. [profiles.full].")
    if profile in profiles:
        override = profiles[profile]
        _check_keys(override, TOP_KEYS - {"profiles"}, where, f"profiles.{profile}")
        raw = deep_merge(raw, override)
    elif profile != "quick":
        raise ConfigError(f"{where} has no [profiles.{profile}] table; profiles defined: {sorted(profiles) or 'none'}.")

    if seed is not None:
        raw["seed"] = seed
    raw.setdefault("seed", 0)
    if not _is_int(raw["seed"]) or raw["seed"] < 0:
        raise ConfigError(f"seed in {where} must be a non-negative integer, got {raw['seed']!r}.")
    if name is not None:
        raw["name"] = name
    default_name = source.stem if source is not None else "experiment"
    raw.setdefault("name", default_name)
    if not isinstance(raw["name"], str) or not raw["name"] or any(c in raw["name"] for c in "/\\") or raw["name"] in (".", ".."):
        raise ConfigError(f"name in {where} must be a plain directory name, got {raw['name']!r}.")

    base_dir = source.resolve().parent if source is not None else None
    chosen, datasets = datasets, raw.get("datasets")
    if datasets is not None:
        if "dataset" in raw:
            raise ConfigError(f"{where} sets both 'dataset' and [datasets.*]; use one.")
        if not isinstance(datasets, dict) or not datasets:
            raise ConfigError(f"[datasets] in {where} must hold one table per dataset.")
        shared = {k: raw[k] for k in RUN_KEYS if k in raw}
        runs = []
        for label, table in datasets.items():
            _check_keys(table, RUN_KEYS, where, f"datasets.{label}")
            runs.append(_run_spec(label, deep_merge(shared, table), raw["seed"], where, base_dir))
    else:
        runs = [_run_spec(None, raw, raw["seed"], where, base_dir)]

    selected = None
    if chosen is not None:
        selected = tuple(chosen)
        labels = [r.label for r in runs if r.label is not None]
        unknown = [d for d in selected if d not in labels]
        if not labels or unknown or not selected:
            raise ConfigError(f"datasets {list(unknown or selected)!r} not in {where} (profile {profile!r}); it runs "
                              f"{labels or 'one dataset, not a [datasets] table'}.")
        runs = [r for r in runs if r.label in selected]
        raw["datasets"] = {k: v for k, v in raw["datasets"].items() if k in selected}
    resolved = copy.deepcopy(raw)
    return ExperimentConfig(raw["name"], raw["seed"], str(raw.get("description", "")), profile, source, runs, resolved,
                            selected)
