"""Headless output: text (rich), JSON, Markdown and connlist renderers."""
