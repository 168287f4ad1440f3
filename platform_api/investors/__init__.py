"""Investor profiles: the mandates of investors and financial institutions (the demand side)."""
