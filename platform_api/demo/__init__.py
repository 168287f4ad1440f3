"""The demo catalogue that `platform-admin demo` loads: institutions, listings, mandates, a deal, a referral."""
