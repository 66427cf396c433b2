"""The live prober: exec, ephemeral debug containers and port-forwards over the official
client, with RBAC checked first."""

from kexplore.probes.live.prober import LiveProber, ProbeSettings, prober_from_args

__all__ = ["LiveProber", "ProbeSettings", "prober_from_args"]
