"""The leads back-office: pipeline with filters, bulk assignment, history, CSV
import/export, WhatsApp templates, nurturing sequences and the message log. Every
change goes through the services, so history, notifications and rules are the same
as through the API."""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from accounts.models import User
from foodxchange.admin import StaffAreaAdmin
from foodxchange.api.permissions import has_staff_area
from foodxchange.errors import DomainError, InvalidInput, message_of
from leads import selectors, services, validators
from leads.models import (
    Lead,
    LeadEvent,
    LeadNote,
    MessageTemplate,
    NurtureSequence,
    NurtureStep,
    WhatsAppMessage,
)
from leads.services.pipeline import EDITABLE_FIELDS

EXPORT_COLUMNS = [
    "id",
    "company_name",
    "contact_name",
    "email",
    "phone",
    "country",
    "timezone",
    "source",
    "specialization",
    "estimated_value",
    "currency",
    "status",
    "score",
    "whatsapp_opt_in",
    "assigned_to",
    "created_at",
]


class SupportAdmin(StaffAreaAdmin):
    """Leads pages: staff with the support area read and work the pipeline."""

    view_area = "support"

    def has_support_permission(self, request) -> bool:
        return has_staff_area(request.user, "support")


def _agents():
    """Who may own a lead: active agents, never staff."""
    return User.objects.filter(role=User.Role.AGENT, is_active=True, is_staff=False, is_superuser=False).order_by(
        "email"
    )


class AgentFilter(admin.SimpleListFilter):
    title = "agent"
    parameter_name = "agent"

    def lookups(self, request, model_admin):
        return [("none", "Unassigned"), *((str(a.pk), a.email) for a in _agents())]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value():
            return queryset.filter(assigned_to_id=self.value())
        return queryset


class ScoreFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "score"
    BANDS = {"hot": (75, 100), "warm": (50, 74), "cool": (25, 49), "cold": (0, 24)}

    def lookups(self, request, model_admin):
        return [(key, f"{key.title()} ({low}-{high})") for key, (low, high) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.BANDS:
            low, high = self.BANDS[self.value()]
            return queryset.filter(score__gte=low, score__lte=high)
        return queryset


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", "Live"), ("yes", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class LeadAdminForm(forms.ModelForm):
    # Read against the lead's country in clean() (national forms allowed), stored as E.164.
    phone = forms.CharField(required=False, max_length=40, help_text="E.164, or national to the lead's country")

    class Meta:
        model = Lead
        fields = [*EDITABLE_FIELDS, "assigned_to", "nurture_sequence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _agents()
        if self.instance.pk is None:
            self.fields["status"].disabled = True  # a new lead starts as new

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country", "")
        try:
            if country:
                cleaned["country"] = validators.normalize_country(country)
            if cleaned.get("phone"):
                cleaned["phone"] = validators.normalize_phone(cleaned["phone"], country=cleaned.get("country"))
            validators.validate_timezone_name(cleaned.get("timezone") or "UTC")
        except DjangoValidationError as exc:
            raise forms.ValidationError(exc.messages)
        cleaned["email"] = (cleaned.get("email") or "").lower()
        if not cleaned["email"] and not cleaned.get("phone"):
            raise forms.ValidationError("Give an email address or a phone number (or both).")
        duplicate = selectors.duplicate_of(
            email=cleaned["email"], phone=cleaned.get("phone", ""), exclude_id=self.instance.pk
        )
        if duplicate:
            self.add_error(duplicate[0], f"A lead with this {duplicate[0]} already exists.")
        if self.instance.pk:
            original = Lead.objects.get(pk=self.instance.pk)
            try:
                services.validate_transition(original.status, cleaned.get("status", original.status))
            except InvalidInput as exc:
                self.add_error("status", exc.field_errors.get("status") or [message_of(exc)])
            if cleaned.get("whatsapp_opt_in") and original.whatsapp_opted_out_at:
                self.add_error("whatsapp_opt_in", "The contact opted out (STOP); only they can opt back in.")
        return cleaned


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "actor",
        "changes",
        "message",
    )
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None):
        return False


class LeadNoteInline(admin.TabularInline):
    model = LeadNote
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "author",
        "body",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class WhatsAppMessageInline(admin.TabularInline):
    model = WhatsAppMessage
    fk_name = "lead"
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "direction",
        "origin",
        "template",
        "body",
        "status",
        "error_code",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = _agents()


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row: company_name, contact_name, country, email and/or phone")
    agent = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Assign the new leads to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = _agents()


@admin.register(Lead)
class LeadAdmin(SupportAdmin):
    form = LeadAdminForm
    change_list_template = "admin/leads/lead/change_list.html"
    list_display = [
        "company_name",
        "contact_name",
        "status",
        "source",
        "score",
        "assigned_to",
        "country",
        "whatsapp_opt_in",
        "created_at",
        "is_deleted",
    ]
    list_filter = [
        "status",
        "source",
        AgentFilter,
        ScoreFilter,
        DeletedFilter,
        "specialization",
        "whatsapp_opt_in",
        "created_at",
    ]
    search_fields = ["company_name", "contact_name", "email", "phone"]
    list_select_related = ["assigned_to"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "score",
        "score_breakdown",
        "created_by",
        "created_at",
        "updated_at",
        "last_contacted_at",
        "last_inbound_at",
        "whatsapp_opted_out_at",
        "deleted_at",
    ]
    inlines = [LeadEventInline, LeadNoteInline, WhatsAppMessageInline]
    actions = ["assign_to_agent", "export_csv", "recompute_scores", "soft_delete"]

    @admin.display(boolean=True, description="deleted")
    def is_deleted(self, lead: Lead) -> bool:
        return lead.deleted_at is not None

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # leads are soft-deleted, never removed
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    # --- saving through the services ----------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        assignee = form.cleaned_data.get("assigned_to")
        if not change:
            data.pop("status", None)
            lead = services.create_lead(actor=request.user, data={**data, "assigned_to": assignee}, request=request)
            obj.pk = obj.id = lead.pk
        else:
            lead = Lead.objects.get(pk=obj.pk)
            changes = {name: data[name] for name in form.changed_data if name in data}
            services.update_lead(lead=lead, actor=request.user, changes=changes, request=request)
            if "assigned_to" in form.changed_data and assignee is not None:
                services.assign_lead(lead=lead, agent=assignee, actor=request.user, request=request)
        if "nurture_sequence" in form.changed_data:
            services.set_nurture_sequence(
                lead=Lead.objects.get(pk=obj.pk),
                sequence=form.cleaned_data["nurture_sequence"],
                actor=request.user,
                request=request,
            )

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="Assign selected leads to an agent", permissions=["support"])
    def assign_to_agent(self, request, queryset):
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            agent = form.cleaned_data["agent"]
            assigned = 0
            for lead in queryset:
                try:
                    services.assign_lead(lead=lead, agent=agent, actor=request.user, request=request)
                except DomainError as exc:
                    self.message_user(request, f"{lead}: {message_of(exc)}", messages.ERROR)
                else:
                    assigned += 1
            self.message_user(request, f"Assigned {assigned} lead(s) to {agent.email}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign leads to an agent",
            "form": form,
            "leads": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/leads/lead/assign.html", context)

    @admin.action(description="Export selected leads as CSV", permissions=["support"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="leads-{timezone.now():%Y%m%d-%H%M}.csv"'
        writer = csv.writer(response)
        writer.writerow(EXPORT_COLUMNS)
        for lead in queryset.select_related("specialization", "assigned_to"):
            writer.writerow(
                [
                    lead.pk,
                    lead.company_name,
                    lead.contact_name,
                    lead.email,
                    lead.phone,
                    lead.country,
                    lead.timezone,
                    lead.source,
                    lead.specialization.slug if lead.specialization else "",
                    lead.estimated_value if lead.estimated_value is not None else "",
                    lead.currency,
                    lead.status,
                    lead.score,
                    "yes" if lead.whatsapp_opt_in else "no",
                    lead.assigned_to.email if lead.assigned_to else "",
                    lead.created_at.isoformat(),
                ]
            )
        return response

    @admin.action(description="Recompute scores", permissions=["support"])
    def recompute_scores(self, request, queryset):
        supply = selectors.verified_expert_counts()
        for lead in queryset:
            services.recompute_score(lead=lead, supply=supply)
        self.message_user(request, f"Rescored {queryset.count()} lead(s).", messages.SUCCESS)

    @admin.action(description="Delete selected leads (soft: history is kept)", permissions=["support"])
    def soft_delete(self, request, queryset):
        live = queryset.filter(deleted_at__isnull=True)
        count = live.count()
        for lead in live:
            services.delete_lead(lead=lead, actor=request.user, request=request)
        self.message_user(request, f"Deleted {count} lead(s).", messages.SUCCESS)

    # --- CSV import view ----------------------------------------------------------------------

    def get_urls(self):
        custom = [path("import/", self.admin_site.admin_view(self.import_view), name="leads_lead_import")]
        return custom + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:leads_lead_changelist"))
        form = ImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.import_leads_csv(
                    file=upload,
                    name=upload.name,
                    actor=request.user,
                    agent=form.cleaned_data["agent"],
                    request=request,
                )
            except services.LeadImportError as exc:
                form.add_error("file", str(exc))
            else:
                level = messages.SUCCESS if not result.errors else messages.WARNING
                self.message_user(
                    request,
                    f"Created {result.created}, duplicates {result.duplicates}, errors {len(result.errors)}.",
                    level,
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import leads from CSV",
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/leads/lead/import.html", context)


class NurtureStepInline(admin.TabularInline):
    model = NurtureStep
    extra = 1
    ordering = ["position"]


class ConfigAdmin(SupportAdmin):
    """Messaging configuration: saves and deletes go through the services (validated,
    audit-logged); a refused delete is shown as an error, never a half-done one."""

    def _delete(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self._delete(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self._delete(request, obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {message_of(exc)}", messages.ERROR)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # refused by the service: nothing was saved
            self.message_user(request, message_of(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, message_of(exc), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))


@admin.register(NurtureSequence)
class NurtureSequenceAdmin(ConfigAdmin):
    list_display = ["name", "is_active", "is_default", "statuses", "step_count"]
    list_filter = ["is_active", "is_default"]
    search_fields = ["name"]
    inlines = [NurtureStepInline]

    @admin.display(description="steps")
    def step_count(self, sequence: NurtureSequence) -> int:
        return sequence.steps.count()

    def save_model(self, request, obj, form, change):
        pass  # saved with its steps in save_related, in one service call

    def save_related(self, request, form, formsets, change):
        steps: list[NurtureStep] = []
        removed: list[NurtureStep] = []
        for formset in formsets:
            if formset.model is NurtureStep:
                formset.save(commit=False)
                removed = list(formset.deleted_objects)
                kept = [f.instance for f in formset.initial_forms if f not in formset.deleted_forms]
                steps = kept + list(formset.new_objects)
        services.save_nurture_sequence(
            sequence=form.instance, steps=steps, removed=removed, actor=request.user, request=request
        )

    def _delete(self, request, obj) -> None:
        services.delete_nurture_sequence(sequence=obj, actor=request.user, request=request)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ConfigAdmin):
    list_display = ["name", "language", "is_active", "content_sid", "updated_at"]
    list_filter = ["is_active", "language"]
    search_fields = ["name", "body"]

    def save_model(self, request, obj, form, change):
        services.save_message_template(template=obj, actor=request.user, request=request)

    def _delete(self, request, obj) -> None:
        services.delete_message_template(template=obj, actor=request.user, request=request)


@admin.register(WhatsAppMessage)
class WhatsAppMessageAdmin(SupportAdmin):
    list_display = ["created_at", "lead", "direction", "origin", "status", "template", "agent", "error_code"]
    list_filter = ["direction", "origin", "status", "created_at"]
    search_fields = ["lead__company_name", "to_number", "provider_sid", "body"]
    list_select_related = ["lead", "template", "agent"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in WhatsAppMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
