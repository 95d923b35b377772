"""Figures that live as long as their model: built once, redrawn by blitting, encoded as PNG.

Axes, ticks, titles and legends are most of matplotlib's cost. A ``LiveFigure`` draws them once
into a background and, while its ``layout_key`` stays the same, redraws only its moving
artists over that background — several times cheaper than drawing a new figure each step,
which keeps a step and its redraw well under half a second at 300 organisations.
"""

from __future__ import annotations

import io
import math
import threading

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 100
FIGSIZE = (5.6, 4.0)  # inches: about a half-width card of the page, so the text stays legible
NICE = (1.0, 2.0, 3.0, 5.0, 10.0)
MONTHS = (24, 60, 120, 180, 240)


def nice_ceiling(value: float, mantissas: tuple[float, ...] = NICE) -> float:
    """The smallest ``m × 10^k`` (``m`` from ``mantissas``) that is >= ``value``; 1 if none.

    Axis limits that grow in such jumps change rarely, so the still part is rarely redrawn.
    """
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (*mantissas, 10.0) if m * power >= value * (1 - 1e-12))


def step_ceiling(step: float) -> int:
    """An x-axis end for ``step`` months: 24, 60, 120, 180, 240, 600, 1200, ..."""
    scale = 1
    while True:
        for months in MONTHS:
            if months * scale >= step:
                return months * scale
        scale *= 10


class LiveFigure:
    """A figure drawn by Agg.

    Subclasses create artists in ``__init__`` (moving ones with ``animated=True``), return them
    from ``moving``, refresh data and limits in ``update``, and say in ``layout_key`` what the
    still part depends on.
    """

    def __init__(self, figsize: tuple[float, float] = FIGSIZE, dpi: int = DPI):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self._lock = threading.Lock()  # the play thread and a button may redraw at once
        self._background = None
        self._key: object = None
        self.full_draws = 0  # how often the still part was redrawn (for tests and tuning)

    def update(self) -> None:
        """Bring the artists up to date with the model."""

    def layout_key(self) -> object:
        """What the still part (axes, ticks, labels, markers) depends on."""
        return None

    def moving(self) -> list[Artist]:
        """The artists redrawn every frame, in drawing order."""
        return []

    def draw(self, update: bool = True) -> None:
        """Draw the current frame into the canvas (``update=False``: data already updated)."""
        if update:
            self.update()
        key = self.layout_key()
        if self._background is None or key != self._key:
            self.canvas.draw()  # animated artists are left out of this
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            self.full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for artist in self.moving():
            if artist.get_visible():
                self.figure.draw_artist(artist)

    def png(self, update: bool = True) -> bytes:
        """The figure, up to date, as PNG bytes (fast zlib level: these are live frames)."""
        with self._lock:
            self.draw(update)
            width, height = self.canvas.get_width_height()
            rgba = Image.frombuffer(
                "RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
            )
            buffer = io.BytesIO()
            rgba.convert("RGB").save(buffer, format="png", compress_level=1)
            return buffer.getvalue()
