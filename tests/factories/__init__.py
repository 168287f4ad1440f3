"""factory-boy factories, one module per feature; the session is set per test by conftest."""
