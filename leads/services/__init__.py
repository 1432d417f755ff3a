"""Every write of the leads module. Views, tasks, commands and the admin call these."""

from leads.services.config import (
    delete_message_template,
    delete_nurture_sequence,
    save_message_template,
    save_nurture_sequence,
)
from leads.services.csv_import import ImportResult, LeadImportError, import_leads_csv
from leads.services.messaging import (
    apply_status_callback,
    deliver_message,
    queue_whatsapp,
    record_inbound,
)
from leads.services.nurturing import run_nurturing
from leads.services.pipeline import (
    ALLOWED_TRANSITIONS,
    DuplicateLead,
    add_note,
    assign_lead,
    convert_lead,
    create_lead,
    delete_lead,
    is_agent,
    recompute_all_scores,
    recompute_score,
    record_event,
    set_nurture_sequence,
    update_lead,
    validate_transition,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "DuplicateLead",
    "ImportResult",
    "LeadImportError",
    "add_note",
    "apply_status_callback",
    "assign_lead",
    "convert_lead",
    "create_lead",
    "delete_lead",
    "delete_message_template",
    "delete_nurture_sequence",
    "deliver_message",
    "import_leads_csv",
    "is_agent",
    "queue_whatsapp",
    "recompute_all_scores",
    "recompute_score",
    "record_event",
    "record_inbound",
    "run_nurturing",
    "save_message_template",
    "save_nurture_sequence",
    "set_nurture_sequence",
    "update_lead",
    "validate_transition",
]
