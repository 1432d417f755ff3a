"""Writes of matching, by concern: ``weights`` (the re-rank weights), ``rfqs`` (RFQs,
invitations, responses, expiry), ``outbox`` (signed status webhooks to the core) and
``signatures`` (the HMAC scheme both directions share)."""
