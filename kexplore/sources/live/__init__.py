"""The live source: kubeconfig connection, discovery, access checks, parallel lists decoded
straight into the model, and the list-then-watch cache that keeps the state current."""

from kexplore.sources.live.client import Connection, connect
from kexplore.sources.live.source import LiveSession, LiveSource, load_live

__all__ = ["Connection", "LiveSession", "LiveSource", "connect", "load_live"]
