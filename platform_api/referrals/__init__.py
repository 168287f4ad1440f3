"""Dispute referrals to arbitration and mediation institutions, with a hash-chained timeline."""
