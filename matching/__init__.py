"""Search & discovery and the matching engine.

Full text, facets, suggestions, trending, click analytics, RFQs and invitations."""
