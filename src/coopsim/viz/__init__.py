"""The interactive browser visualisation (Mesa's SolaraViz): ``coopsim viz`` calls ``app.serve``.

Importing this package is cheap; ``coopsim.viz.app`` imports Solara.
"""
