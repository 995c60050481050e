"""The Litestar HTTP adapter: API v1 over the Kitchen (``create_app`` in ``app``)."""
