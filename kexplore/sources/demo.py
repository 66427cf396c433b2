"""The bundled demo cluster behind `--demo`: package data read through the snapshot reader."""

from __future__ import annotations

from importlib.resources import as_file, files

from kexplore.errors import InputError, SourceError
from kexplore.model.state import ClusterState
from kexplore.sources.files.reader import read_snapshot

DEMO_PACKAGE = "kexplore.sources"
DEMO_DIR = "demo_data"


def load_demo() -> ClusterState:
    """The demo cluster with its recorded probes and logs (`meta.source` is "demo").

    `meta.time` is the snapshot's own "now" from its kexplore-manifest.json, so events and
    restarts are recent relative to it whatever the wall clock says.
    """
    try:
        with as_file(files(DEMO_PACKAGE) / DEMO_DIR) as path:
            state = read_snapshot(path)
    except InputError as e:
        raise SourceError(
            f"the bundled demo data is missing or unreadable: {e.message}",
            "reinstall kexplore (`pip install --force-reinstall kexplore`, or `make demo`)",
        ) from e
    state.meta.source = "demo"
    return state
