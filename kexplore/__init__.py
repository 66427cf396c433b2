"""kexplore: a keyboard-driven terminal explorer for Kubernetes connectivity triage."""

__version__ = "0.1.0"
