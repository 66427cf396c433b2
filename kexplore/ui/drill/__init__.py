"""The drill-down pane: describe, YAML, logs, events, probes, policy and evidence views."""
