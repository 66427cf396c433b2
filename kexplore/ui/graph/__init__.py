"""The drawn graph: scene layout, character canvas and the graph view widget."""
