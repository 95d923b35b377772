"""An app frame at 300 organisations: press Step, the model steps and every view redraws.

The app's own page (``coopsim.viz.app.Page`` inside Solara's ``AppLayout``, as the tests render
it) is rendered headless, without a browser, from the baseline scenario scaled to 300
organisations; a frame is one click of the Step button (Mesa's controller): ``model.step()``,
then the status line, the network figure and the four time-series panels redrawn and encoded
as PNG, and the widgets updated. Sending the frame to a browser and the browser drawing it are
not included.

Beside it, step for step, a second model with the same seed and settings is stepped and drawn
through the same figure classes (``NetworkFigure.png``, ``TimeseriesPanels.pngs``) without
Solara, which splits a frame into the step, the network, the plots and what Solara adds.
Frames start at step 1, as a session does; the first render of the page is reported apart.

    python benchmarks/viz_frame.py             # 60 frames
    python benchmarks/viz_frame.py --quick     # 20 frames
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import yaml
from _common import ROOT, Timing, header, median, sector_counts, table, timed

N = 300
PLAY_INTERVAL_MS = 50  # the app's play interval (coopsim.viz.app)


def scenario_file(folder: Path) -> Path:
    """The baseline scenario with its population scaled to ``N`` organisations."""
    from coopsim.scenario.loader import load_scenario
    from coopsim.scenario.schema import scenario_to_dict

    data = scenario_to_dict(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    data["name"] = f"baseline-{N}"
    for key, count in sector_counts(N).items():
        sector = key.split("__")[1]
        data["population"][sector]["count"] = count
    path = folder / f"baseline_{N}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--frames", type=int)
    args = parser.parse_args()
    frames = args.frames or (20 if args.quick else 60)
    header(f"An app frame (step and redraw) at {N} organisations")
    with tempfile.TemporaryDirectory(prefix="coopsim-bench-") as tmp:
        os.environ["COOPSIM_VIZ_SCENARIO"] = str(scenario_file(Path(tmp)))
        import ipyvuetify as vw
        import solara

        from coopsim.viz import app
        from coopsim.viz.controls import VizModel, initial_values
        from coopsim.viz.network import NetworkFigure
        from coopsim.viz.plots import TimeseriesPanels

        app._start.cache_clear()
        begin = app.start()
        rendered = []

        def render() -> None:
            with contextlib.redirect_stdout(io.StringIO()):  # AppLayout prints its children
                layout = solara.AppLayout(children=[app.Page()])
                rendered.append(solara.render(layout, handle_error=False))

        first = timed(render)
        _, rc = rendered[0]
        step_button = rc.find(vw.Btn, children=["Step"]).widget

        twin = VizModel(config=begin.config, fallback_seed=begin.seed, **initial_values(begin))
        network, plots = NetworkFigure(twin), TimeseriesPanels(twin)
        network.png()
        plots.pngs()
        print(f"{twin.orgs.n} organisations; first render of the page {first.wall:.2f} s")

        frame, step, draw_net, draw_plots = [], [], [], []
        for _ in range(frames):
            frame.append(timed(step_button.click))
            step.append(timed(twin.step))
            draw_net.append(timed(network.png))
            draw_plots.append(timed(plots.pngs))
        status = rc.find(vw.Html, class_="coopsim-status").widget.children[0]
        if not status.startswith(f"Step {frames} "):
            raise SystemExit(f"the page did not step as expected: {status!r}")
        if twin.steps != frames:
            raise SystemExit("the twin model did not step as expected")
        rc.close()

    parts = {
        "frame (Step button, whole page)": frame,
        "  model.step()": step,
        "  network figure (draw + PNG)": draw_net,
        "  4 time-series panels (draw + PNG)": draw_plots,
    }
    parts["  Solara, widgets, status line (rest)"] = [
        Timing(f.wall - s.wall - n.wall - p.wall, f.cpu - s.cpu - n.cpu - p.cpu)
        for f, s, n, p in zip(frame, step, draw_net, draw_plots, strict=True)
    ]
    whole = median([t.wall for t in frame])
    print()
    print(
        table(
            ["part", "median ms", "90th percentile ms", "max ms", "share", "median CPU ms"],
            [
                (
                    name,
                    f"{1e3 * median([t.wall for t in v]):.1f}",
                    f"{1e3 * percentile([t.wall for t in v], 90):.1f}",
                    f"{1e3 * max(t.wall for t in v):.1f}",
                    f"{100 * median([t.wall for t in v]) / whole:.0f}%",
                    f"{1e3 * median([t.cpu for t in v]):.1f}",
                )
                for name, v in parts.items()
            ],
        )
    )
    fps = 1 / whole
    print()
    print(
        f"{frames} frames from step 1: median {1e3 * whole:.0f} ms a frame, about "
        f"{fps:.1f} frames/s; the app asks for one every {PLAY_INTERVAL_MS} ms when playing "
        f"(a frame slower than that sets the pace). Still parts (axes, ticks) redrawn in full "
        f"in the twin: network {network.full_draws} of {frames + 1} draws, panels "
        f"{sum(f.full_draws for f in plots.figures)} of {4 * (frames + 1)}."
    )


if __name__ == "__main__":
    main()
