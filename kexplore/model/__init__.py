"""The cluster model: frozen msgspec Structs decoded from raw API JSON, and ClusterState."""
