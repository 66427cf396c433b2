"""Puts tests/ on sys.path (pytest's prepend mode) so test packages share the builders."""
