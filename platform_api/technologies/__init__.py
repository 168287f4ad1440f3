"""Technology listings: what members offer, its review, and search."""
