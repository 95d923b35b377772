"""The table "what the decomposition says" of docs/VALIDATION.md from finished decompositions.

    python experiments/decomposition_table.py DIR [DIR ...] [--output sustainability_index] [--wide]

Each DIR is a finished ``coopsim decompose`` directory. Prints, per decomposition, both ends, the
difference and the interactions, and each slot's Shapley value with its bootstrap 95 % interval
(a Markdown table), largest |Shapley value| first; ``--wide``: one table, a column per
decomposition and a row per slot.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coopsim.experiments.decomposition import load_decomposition


def _ci(row, name: str) -> str:
    return f"{row[name]:+.3f} [{row[name + '_low']:+.3f}, {row[name + '_high']:+.3f}]"


def table(path: Path, output: str) -> str:
    result = load_decomposition(path)
    meta = json.loads((path / "metadata.json").read_text())
    totals = result.totals[result.totals["output"] == output].iloc[0]
    effects = result.effects[result.effects["output"] == output]
    effects = effects.reindex(effects["shapley"].abs().sort_values(ascending=False).index)
    scenario = meta.get("name") or path.name
    lines = [
        f"**{scenario}: {totals['from_mode']} → {totals['to_mode']}** ({path.name}; "
        f"{int(totals['seeds'])} seeds): {output} {totals['from_value']:.3f} → "
        f"{totals['to_value']:.3f}, difference {_ci(totals, 'difference')}, interactions "
        f"{_ci(totals, 'interaction')}",
        "",
        "| slot | rule: from → to | Shapley value [95 % CI] | alone in the first mode | "
        "last in the second |",
        "|---|---|---|---|---|",
    ]
    for _, r in effects.iterrows():
        lines.append(
            f"| {r['slot']} | {r['from_rule']} → {r['to_rule']} | {_ci(r, 'shapley')} | "
            f"{_ci(r, 'effect_in_from')} | {_ci(r, 'effect_in_to')} |"
        )
    return "\n".join(lines) + "\n"


def wide(paths: list[Path], output: str) -> str:
    """One table: a column per decomposition, a row per slot, and the ends and totals below."""
    from coopsim.model.rules import SLOTS

    columns, heads = [], []
    for path in paths:
        result = load_decomposition(path)
        meta = json.loads((path / "metadata.json").read_text())
        totals = result.totals[result.totals["output"] == output].iloc[0]
        effects = result.effects[result.effects["output"] == output].set_index("slot")
        heads.append(
            f"{meta.get('name', path.name)} ({int(totals['seeds'])} seeds, "
            f"{meta.get('decomposition', {}).get('steps', '?')} months)"
        )
        cells = {slot: _ci(effects.loc[slot], "shapley") for slot in effects.index}
        cells["from → to"] = f"{totals['from_value']:.3f} → {totals['to_value']:.3f}"
        cells["difference"] = _ci(totals, "difference")
        cells["interactions"] = _ci(totals, "interaction")
        columns.append(cells)
    rows = [*SLOTS, "from → to", "difference", "interactions"]
    lines = ["| | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for row in rows:
        lines.append(f"| {row} | " + " | ".join(c.get(row, "—") for c in columns) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--output", default="sustainability_index")
    parser.add_argument("--wide", action="store_true", help="one table for all")
    args = parser.parse_args(argv)
    if args.wide:
        print(wide(args.dirs, args.output))
        return 0
    for path in args.dirs:
        print(table(path, args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
