"""The ladder of layered checks for one edge (source → target)."""
