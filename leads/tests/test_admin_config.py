"""WhatsApp templates and nurture sequences are changed in the staff console through
the services: validated, all or nothing, and audit-logged."""

import pytest
from django.urls import reverse

from foodxchange.errors import Conflict, InvalidInput
from foodxchange.models import AuditLog
from leads import services
from leads.models import MessageTemplate, NurtureSequence, NurtureStep
from leads.tests.factories import MessageTemplateFactory, NurtureSequenceFactory, NurtureStepFactory

pytestmark = pytest.mark.django_db

TEMPLATE_ADD = reverse("admin:leads_messagetemplate_add")
SEQUENCE_ADD = reverse("admin:leads_nurturesequence_add")


@pytest.fixture
def staff(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def _template_form(**overrides):
    return {
        "name": "welcome",
        "language": "en",
        "body": "Hello {{contact_name}}",
        "variables": '["contact_name"]',
        "content_sid": "",
        "is_active": "on",
        **overrides,
    }


def _steps(*rows, initial=0):
    data = {"steps-TOTAL_FORMS": len(rows), "steps-INITIAL_FORMS": initial, "steps-MIN_NUM_FORMS": 0}
    data["steps-MAX_NUM_FORMS"] = 1000
    for i, row in enumerate(rows):
        data.update({f"steps-{i}-{key}": value for key, value in row.items()})
    return data


def test_a_template_created_and_changed_in_the_admin_is_audited(staff, admin_user):
    response = staff.post(TEMPLATE_ADD, _template_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    template = MessageTemplate.objects.get(name="welcome")
    created = AuditLog.objects.get(action="leads.template.created")
    assert created.actor == admin_user and created.target_id == str(template.pk)
    assert created.after["body"] == "Hello {{contact_name}}"

    change = reverse("admin:leads_messagetemplate_change", args=[template.pk])
    response = staff.post(change, _template_form(body="Hi {{contact_name}}!"))
    assert response.status_code == 302
    changed = AuditLog.objects.get(action="leads.template.changed")
    assert (changed.before["body"], changed.after["body"]) == ("Hello {{contact_name}}", "Hi {{contact_name}}!")


def test_a_template_with_an_undeclared_placeholder_is_refused_and_nothing_is_written(staff):
    response = staff.post(TEMPLATE_ADD, _template_form(body="Hello {{contact_name}} {{price}}"))
    assert response.status_code == 200
    assert "price" in str(response.context["adminform"].form.errors)
    assert not MessageTemplate.objects.exists() and not AuditLog.objects.filter(action__startswith="leads.").exists()
    with pytest.raises(InvalidInput) as excinfo:
        services.save_message_template(template=MessageTemplate(name="x", body="{{a}}", variables=[]), actor=None)
    assert "body" in excinfo.value.details


def test_a_template_in_use_cannot_be_deleted_an_unused_one_is_deleted_and_audited(staff):
    used = NurtureStepFactory(template=MessageTemplateFactory(name="used")).template
    unused = MessageTemplateFactory(name="unused")

    response = staff.post(reverse("admin:leads_messagetemplate_delete", args=[used.pk]), {"post": "yes"})
    assert response.status_code == 200 and response.context["protected"]  # the console names what uses it
    with pytest.raises(Conflict, match="used by nurture sequence"):
        services.delete_message_template(template=used, actor=None)
    response = staff.post(
        reverse("admin:leads_messagetemplate_changelist"),
        {"action": "delete_selected", "_selected_action": [used.pk], "post": "yes"},
    )
    assert MessageTemplate.objects.filter(pk=used.pk).exists()
    assert not AuditLog.objects.filter(action="leads.template.deleted").exists()

    staff.post(reverse("admin:leads_messagetemplate_delete", args=[unused.pk]), {"post": "yes"})
    assert not MessageTemplate.objects.filter(pk=unused.pk).exists()
    deleted = AuditLog.objects.get(action="leads.template.deleted")
    assert deleted.target_id == str(unused.pk) and deleted.before["name"] == "unused"


def test_a_sequence_and_its_steps_are_saved_by_one_audited_service_call(staff, admin_user):
    first, second = MessageTemplateFactory(name="first"), MessageTemplateFactory(name="second")
    data = {"name": "Warm-up", "statuses": '["new"]', "is_active": "on"}
    data |= _steps(
        {"position": 1, "wait_days": 2, "template": first.pk}, {"position": 2, "wait_days": 5, "template": second.pk}
    )
    response = staff.post(SEQUENCE_ADD, data)
    assert response.status_code == 302, response.content[:2000]
    sequence = NurtureSequence.objects.get(name="Warm-up")
    audit = AuditLog.objects.get(action="leads.nurture_sequence.created")
    assert audit.actor == admin_user and audit.target_id == str(sequence.pk)
    assert audit.after["steps"] == [
        {"position": 1, "wait_days": 2, "template": "first"},
        {"position": 2, "wait_days": 5, "template": "second"},
    ]

    # The two steps swap places: one change, audited with before and after.
    one, two = sequence.steps.order_by("position")
    data = {"name": "Warm-up", "statuses": '["new"]', "is_active": "on"}
    data |= _steps(
        {"id": one.pk, "sequence": sequence.pk, "position": 2, "wait_days": 2, "template": first.pk},
        {"id": two.pk, "sequence": sequence.pk, "position": 1, "wait_days": 5, "template": second.pk},
        initial=2,
    )
    response = staff.post(reverse("admin:leads_nurturesequence_change", args=[sequence.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    assert list(sequence.steps.order_by("position").values_list("template__name", flat=True)) == ["second", "first"]
    changed = AuditLog.objects.get(action="leads.nurture_sequence.changed")
    assert [s["template"] for s in changed.before["steps"]] == ["first", "second"]
    assert [s["template"] for s in changed.after["steps"]] == ["second", "first"]


def test_bad_sequences_are_refused_whole(staff):
    NurtureSequenceFactory(name="Default", is_default=True)
    active, inactive = MessageTemplateFactory(name="active"), MessageTemplateFactory(name="old", is_active=False)

    response = staff.post(SEQUENCE_ADD, {"name": "Second default", "statuses": "[]", "is_default": "on"} | _steps())
    assert response.status_code == 200 and not NurtureSequence.objects.filter(name="Second default").exists()

    with pytest.raises(InvalidInput, match="not active"):
        services.save_nurture_sequence(
            sequence=NurtureSequence(name="Stale"),
            steps=[NurtureStep(position=1, wait_days=1, template=inactive)],
            actor=None,
        )
    with pytest.raises(InvalidInput, match="own position"):
        services.save_nurture_sequence(
            sequence=NurtureSequence(name="Twice"),
            steps=[NurtureStep(position=1, wait_days=1, template=active)] * 2,
            actor=None,
        )
    with pytest.raises(InvalidInput) as excinfo:
        services.save_nurture_sequence(sequence=NurtureSequence(name="Odd", statuses=["dreaming"]), actor=None)
    assert "statuses" in excinfo.value.details
    assert set(NurtureSequence.objects.values_list("name", flat=True)) == {"Default"}
    assert not AuditLog.objects.filter(action__startswith="leads.nurture_sequence").exists()


def test_deleting_a_sequence_is_audited(staff):
    step = NurtureStepFactory(template=MessageTemplateFactory())
    staff.post(reverse("admin:leads_nurturesequence_delete", args=[step.sequence_id]), {"post": "yes"})
    assert not NurtureSequence.objects.exists() and not NurtureStep.objects.exists()
    audit = AuditLog.objects.get(action="leads.nurture_sequence.deleted")
    assert audit.before["steps"][0]["template"] == "follow-up"
