"""One module per check; each registers itself with ``profilers.registry.check``."""
