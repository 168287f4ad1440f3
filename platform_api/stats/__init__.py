"""/v1/stats: the platform's published figures, composed from the features that own them."""
