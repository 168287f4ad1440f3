"""Member institutions: the organisations that trade IP on the platform."""
