"""integrator: when a customer's proof-of-concept breaks, page the owner, file the P1, start the clock."""
