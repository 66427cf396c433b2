"""Active probes run from the source pod (opt-in), and recorded probe replay."""
