"""OAuth 2.0 authorization server: clients, codes, tokens and the bearer check."""
