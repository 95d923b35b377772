"""The interactive browser visualisation (Solara, Mesa's controller): ``coopsim viz`` calls
``app.serve``.

Importing this package is cheap; ``coopsim.viz.app`` imports Solara.
"""
