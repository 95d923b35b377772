"""The outputs registry says exactly what the model produces: names, order, types and bounds.

A small run of every mode (all four sectors, a shock, a reform-free run) must produce the registry's
step, run and partnership outputs, in the registry's order, with its types; every derived run
output must be the registry's statistic of its step output; numbers stay within declared bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coopsim.model import CoopModel, outputs
from coopsim.model.config import MODES
from coopsim.model.outputs import OUTPUTS, UnknownOutput
from coopsim.model.sectors import SECTORS

SMALL = {
    "population__government__count": 4,
    "population__business__count": 6,
    "population__civil_society__count": 5,
    "population__community__count": 3,
    "shocks": [{"at": 12, "kind": "capacity_loss", "target": "government", "severity": 0.8}],
}
STEPS = 36


@pytest.fixture(scope="module", params=MODES)
def run(request) -> CoopModel:
    model = CoopModel(mode=request.param, rng=7, **SMALL)
    model.run_for(STEPS)
    return model


def _fits(series: pd.Series, output: outputs.Output) -> bool:
    dtype = series.dtype
    if output.dtype == "int":
        return str(dtype) == output.pandas_dtype
    if output.dtype == "float":
        return pd.api.types.is_float_dtype(dtype)
    if output.dtype == "bool":
        return pd.api.types.is_bool_dtype(dtype)
    present = series.dropna() if output.nullable else series
    if output.dtype == "list":  # lists of text (members, sectors)
        return all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in present)
    return pd.api.types.is_string_dtype(dtype) and all(isinstance(v, str) for v in present)


def _types(frame: pd.DataFrame, level: str) -> list[str]:
    return [
        f"{c}: {frame[c].dtype}, registry {outputs.get(c, level).pandas_dtype}"
        for c in frame.columns
        if not _fits(frame[c], outputs.get(c, level))
    ]


def test_timeseries_columns_are_the_step_outputs_in_order(run):
    ts = run.timeseries()
    assert tuple(ts.columns) == outputs.names("step")
    assert not _types(ts, "step")


def test_summary_keys_are_the_run_outputs_in_order(run):
    summary = run.summary()
    assert tuple(summary) == outputs.names("run")
    python = {"int": int, "float": float, "str": str, "bool": bool}
    wrong = []
    for key, value in summary.items():
        o = outputs.get(key, "run")
        if value is None:
            ok = o.nullable
        else:
            ok = isinstance(value, python[o.dtype]) and not (
                o.dtype != "bool" and isinstance(value, bool)
            )
        if not ok:
            wrong.append(f"{key}: {value!r} (registry: {o.dtype})")
    assert not wrong


def test_partnership_columns_are_the_partnership_outputs_in_order(run):
    table = run.partnerships()
    assert len(table) and (table["status"] != "active").any()  # the run reaches every column
    assert tuple(table.columns) == outputs.names("partnership")
    assert not _types(table, "partnership")


def test_partnership_lists_are_lists_and_an_active_partnership_has_no_cause(run):
    """Issue 18, trap 7: members and sectors as lists (not `;`-joined), cause missing, not ""."""
    table = run.partnerships()
    first = table.iloc[0]
    assert first["members"][0] == first["lead"] and len(first["members"]) >= first["n_members"]
    assert first["lead_sector"] in first["sectors"]
    assert table["sectors"].map(lambda s: s == sorted(set(s))).all()
    active = table["status"] == "active"
    assert table.loc[active, "cause"].isna().all() and table.loc[active, "ended"].isna().all()
    assert table.loc[~active, "cause"].notna().all()
    assert "" not in set(table["cause"].dropna())
    assert len(table.explode("members")) == table["members"].map(len).sum()


def test_text_outputs_hold_only_their_declared_values(run):
    frames = {"step": run.timeseries(), "partnership": run.partnerships()}
    for level, frame in frames.items():
        for name in frame.columns:
            o = outputs.get(name, level)
            if o.values:
                assert set(frame[name].dropna()) <= set(o.values), name
                assert o.nullable or frame[name].notna().all(), name


def test_numbers_stay_within_their_declared_bounds(run):
    frames = {
        "step": run.timeseries(),
        "partnership": run.partnerships(),
        "run": pd.DataFrame([run.summary()]),
    }
    outside = []
    for level, frame in frames.items():
        for name in frame.columns:
            o = outputs.get(name, level)
            if not o.numeric:
                continue
            values = pd.to_numeric(frame[name]).dropna().to_numpy(dtype=float)
            if len(values) and (values.min() < o.low - 1e-12 or values.max() > o.high + 1e-12):
                outside.append(f"{level} {name}: [{values.min()}, {values.max()}]")
    assert not outside


def test_derived_run_outputs_are_their_statistic_of_the_step_output(run):
    ts, summary = run.timeseries(), run.summary()
    derived = [o for o in OUTPUTS if o.derived is not None]
    assert derived
    for o in derived:
        got = outputs.derive(o.name, ts, window=run.config.metrics.window)
        assert got == pytest.approx(summary[o.name], rel=1e-12, abs=1e-15), o.name


def test_before_the_first_step_the_summary_holds_keys_and_context():
    model = CoopModel(rng=1, **SMALL)
    assert tuple(model.summary()) == outputs.names("run", role=("key", "context"))
    assert tuple(model.timeseries().columns) == ()


def test_trust_columns_follow_the_sectors_present():
    model = CoopModel(rng=3, population__community__count=0, population__business__count=4)
    model.run_for(3)
    present = ("government", "business", "civil_society")
    assert tuple(model.timeseries().columns) == outputs.names("step", sectors=present)
    assert not [
        c
        for c in outputs.names("step", sectors=present)
        if c.startswith("trust_") and "community" in c
    ]
    assert "benefit_share_community" in outputs.names("step", sectors=present)  # every sector


# ---- the registry itself ----------------------------------------------------------------------


def test_each_name_is_declared_once_per_level_with_words_for_readers():
    keys = [(o.level, o.name) for o in OUTPUTS]
    assert len(keys) == len(set(keys))
    for o in OUTPUTS:
        assert o.label and o.meaning.endswith(".") and o.low <= o.high, o.name
        assert o.level in outputs.LEVELS and o.role in outputs.ROLES, o.name
        assert not (o.nullable and o.role == "key"), o.name


def test_families_cover_every_sector_and_dissolution_cause():
    step = outputs.names("step")
    pairs = [f"trust_{a}_{b}" for i, a in enumerate(SECTORS) for b in SECTORS[i:]]
    assert [n for n in step if n.startswith("trust_")] == pairs
    assert [n for n in step if n.startswith("benefit_share_")] == [
        f"benefit_share_{s}" for s in SECTORS
    ]
    causes = [n.removeprefix("dissolved_") for n in outputs.names("run") if "dissolved_" in n]
    assert set(causes) == set(outputs.CAUSE_MEANINGS)
    assert {o.family for o in OUTPUTS if o.family} == {f.pattern for f in outputs.FAMILIES}
    for f in outputs.FAMILIES:  # each member is about the keys its name is made of
        for o in outputs.family(f.pattern):
            assert o.name.endswith("_".join(o.about)) and o.level == f.level, o.name
    with pytest.raises(UnknownOutput, match="not a family"):
        outputs.family("trust_<sector>")


def test_step_and_run_outputs_name_each_other_where_one_is_derived():
    for o in OUTPUTS:
        if o.derived is not None:
            assert o.level == "run"
            assert outputs.get(o.derived.source, "step").run == o.name
        if o.run is not None:
            assert outputs.get(o.run, "run").derived.source == o.name


def test_roles_and_numbers_select_names():
    assert outputs.names("run", role="key") == ("steps", "seed", "mode")
    indicators = outputs.names("run", role="indicator")
    assert "sustainability_index" in indicators and "organisations" not in indicators
    assert "mode" not in outputs.names("step", numeric=True)
    assert outputs.names("member", role="key") == ("negotiation", "organisation")
    assert "surplus" in outputs.names("member", role="indicator")


def test_unknown_names_are_refused_with_the_closest_known_one():
    with pytest.raises(UnknownOutput, match="did you mean 'sustainability_index'"):
        outputs.get("sustainability_idx", "run")
    with pytest.raises(UnknownOutput, match=r"'mean_trusts'.*did you mean 'mean_trust'"):
        outputs.check(["cooperation_rate", "mean_trusts"], "step")
    with pytest.raises(UnknownOutput, match="not a run output"):
        outputs.check(["public_value"], "run")  # a step output, summed as public_value_total
    with pytest.raises(ValueError, match="several levels"):
        outputs.get("cooperation_rate")
    assert outputs.get("sustainability_index").level == "run"
    with pytest.raises(ValueError, match="unknown output level"):
        outputs.names("agent")


def test_the_docs_table_lists_each_family_once():
    rows = outputs.table("step")
    names = [row["name"] for row in rows]
    assert "trust_<a>_<b>" in names and "trust_government_business" not in names
    assert len(names) == len(set(names))
    text = outputs.markdown("run")
    assert "`dissolved_<cause>`" in text and text.count("\n") == len(outputs.table("run")) + 2


def test_a_derived_statistic_reads_any_time_series():
    frame = pd.DataFrame({"cooperation_rate": np.arange(10, dtype=float)})
    assert outputs.derive("cooperation_rate", frame, window=4) == pytest.approx(7.5)
    frame = pd.DataFrame({"public_value": [1.0, 2.0, math.pi]})
    assert outputs.derive("public_value_total", frame, window=2) == pytest.approx(3 + math.pi)
    with pytest.raises(ValueError, match="not derived"):
        outputs.derive("sustainability_index", frame, window=2)
