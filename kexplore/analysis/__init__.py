"""Pure analysis engines: NetworkPolicy, mesh, service/endpoint and DNS resolution."""
