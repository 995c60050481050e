"""In-memory and in-process twins of the ports: the embedded mode and fast tests use them."""
