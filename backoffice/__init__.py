"""Back-office: the staff KPI page and other cross-domain staff views.

It reads each domain's selectors; nothing imports it."""
