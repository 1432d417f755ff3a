"""Compliance: the tamper-evident ledger, verifiable certificates and the clients' certificate vault."""
