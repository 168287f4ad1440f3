"""People of member institutions who sign in to approve apps."""
