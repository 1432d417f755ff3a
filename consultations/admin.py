"""Staff console for consultations: bookings, payments, refunds, transfers, the ledger,
disputes and reviews. Rows change only through the services (the actions below), so
every change is validated, audited and notified as through the API. Support may look;
money actions need the finance area."""

import secrets
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as AdminPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from consultations import services
from consultations.models import (
    Consultation,
    ConsultationEvent,
    Invoice,
    LedgerEntry,
    Payment,
    Refund,
    Review,
    StripeEvent,
    Transfer,
)
from foodxchange.admin import ReadOnlyAreaAdmin, RefundRetryAdmin, TransferRetryAdmin
from foodxchange.errors import DomainError, message_of


class EventInline(admin.TabularInline):
    model = ConsultationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "transition", "from_status", "to_status", "actor", "actor_role", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("created_at", "amount", "currency", "reason", "status", "provider_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "amount", "currency", "amount_minor", "external_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _run(modeladmin, request, queryset, action, label: str) -> None:
    done, failed = 0, []
    for consultation in queryset:
        try:
            action(consultation)
            done += 1
        except DomainError as exc:
            failed.append(f"#{consultation.pk}: {message_of(exc)}")
    if done:
        modeladmin.message_user(request, f"{label}: {done} consultation(s).", messages.SUCCESS)
    for line in failed:
        modeladmin.message_user(request, line, messages.WARNING)


class PartialRefundForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.001"), max_digits=12, decimal_places=3)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why (kept in the audit log).")
    # Generated when the form is shown: a double submit refunds once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "start", "status", "expert", "client", "service_title", "price", "currency", "created_at"]
    list_filter = ["status", "currency", ("start", admin.DateFieldListFilter), "cancelled_by"]
    search_fields = ["=id", "service_title", "client__email", "expert__display_name", "expert__user__email"]
    date_hierarchy = "start"
    list_select_related = ["expert", "client"]
    readonly_fields = [f.name for f in Consultation._meta.fields]
    inlines = [EventInline, RefundInline, LedgerInline]
    actions = ["resolve_release", "resolve_refund", "partial_refund", "retry_money"]
    money_actions = ("resolve_release", "resolve_refund", "partial_refund", "retry_money")

    def _finance(self, request) -> bool:
        return self._area(request, "finance")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._finance(request):
            for name in self.money_actions:
                actions.pop(name, None)
        return actions

    def get_urls(self):
        view = self.admin_site.admin_view(self.partial_refund_view)
        return [path("<int:pk>/refund/", view, name="consultations_consultation_refund"), *super().get_urls()]

    @admin.action(description="Refund part of the payment of the selected consultation…")
    def partial_refund(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one consultation to refund part of.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:consultations_consultation_refund", args=[queryset.get().pk]))

    def partial_refund_view(self, request, pk: int):
        """A partial refund through the services: for a disputed consultation it decides
        the dispute (``resolve`` with ``partial_refund``: the rest is released to the
        expert); otherwise it is a goodwill refund (``staff_refund``). Both validate the
        amount against what is still refundable and write the audit log."""
        if not self._finance(request):
            raise AdminPermissionDenied
        consultation = get_object_or_404(Consultation.objects.select_related("expert", "client"), pk=pk)
        refundable = services.refundable_amount(consultation)
        disputed = consultation.status == Consultation.Status.DISPUTED
        change_url = reverse("admin:consultations_consultation_change", args=[pk])
        if request.method == "POST":
            form = PartialRefundForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if disputed:
                        services.resolve(
                            consultation_id=pk,
                            actor=request.user,
                            outcome="partial_refund",
                            amount=data["amount"],
                            note=data["note"],
                            request=request,
                        )
                    else:
                        services.staff_refund(
                            consultation_id=pk,
                            actor=request.user,
                            amount=data["amount"],
                            note=data["note"],
                            idempotency_key=data["token"],
                            request=request,
                        )
                except DomainError as exc:
                    fields = getattr(exc, "field_errors", {}) or {}
                    placed = False
                    for field, errors in fields.items():
                        if field in form.fields:
                            for error in errors:
                                form.add_error(field, str(error))
                            placed = True
                    if not placed:
                        form.add_error(None, message_of(exc))
                else:
                    amount = f"{data['amount']} {consultation.currency}"
                    done = "Dispute resolved with a partial refund" if disputed else "Refund requested"
                    self.message_user(request, f"{done} of {amount} (#{pk}).", messages.SUCCESS)
                    return HttpResponseRedirect(change_url)
        else:
            form = PartialRefundForm(initial={"token": secrets.token_urlsafe(24)})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Partial refund of consultation #{pk}",
            "consultation": consultation,
            "paid": services.paid_amount(consultation),
            "refundable": refundable,
            "disputed": disputed,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/consultations/consultation/partial_refund.html", context)

    @admin.action(description="Resolve selected disputes: release the payment to the expert")
    def resolve_release(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.resolve(
                consultation_id=c.pk, actor=request.user, outcome="release", note="Released by staff", request=request
            ),
            "Released",
        )

    @admin.action(description="Resolve selected disputes: refund the client in full")
    def resolve_refund(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda c: services.resolve(
                consultation_id=c.pk, actor=request.user, outcome="refund", note="Refunded by staff", request=request
            ),
            "Refunded",
        )

    @admin.action(description="Retry pending charges, refunds and transfers (same idempotency keys)")
    def retry_money(self, request, queryset):
        summary = services.retry_pending_money()
        self.message_user(request, f"Retried: {summary}", messages.INFO)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAreaAdmin):
    list_display = ["id", "consultation", "provider", "intent_id", "amount", "currency", "status", "paid_at"]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["intent_id", "charge_id", "=consultation__id", "consultation__client__email"]
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "client_secret"]
    exclude = ["client_secret"]


@admin.register(Refund)
class RefundAdmin(RefundRetryAdmin):
    list_display = ["id", "consultation", "amount", "currency", "reason", "status", "created_by", "created_at"]
    list_filter = ["status", "reason", "currency"]
    search_fields = ["provider_id", "=consultation__id", "consultation__client__email"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    execute = staticmethod(services.execute_refund)


@admin.register(Transfer)
class TransferAdmin(TransferRetryAdmin):
    list_display = ["id", "consultation", "amount", "currency", "status", "destination", "paid_at"]
    list_filter = ["status", "currency"]
    search_fields = ["provider_id", "destination", "=consultation__id", "consultation__expert__display_name"]
    readonly_fields = [f.name for f in Transfer._meta.fields]
    execute = staticmethod(services.execute_transfer)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAreaAdmin):
    view_area = "finance"
    list_display = ["id", "created_at", "consultation", "kind", "amount", "currency", "amount_minor", "external_id"]
    list_filter = ["kind", "currency"]
    search_fields = ["idempotency_key", "external_id", "=consultation__id"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAreaAdmin):
    list_display = ["number", "issued_at", "consultation", "total", "platform_fee", "currency"]
    list_filter = ["year", "currency"]
    search_fields = ["number", "=consultation__id"]
    readonly_fields = [f.name for f in Invoice._meta.fields]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAreaAdmin):
    change_area = "support"
    list_display = ["id", "expert", "client", "rating", "created_at", "replied_at"]
    list_filter = ["rating", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["comment", "reply", "expert__display_name", "client__email"]
    readonly_fields = [f.name for f in Review._meta.fields]
    actions = ["remove"]

    @admin.action(description="Remove the selected reviews (the expert's rating is recomputed)")
    def remove(self, request, queryset):
        for row in queryset:
            services.delete_review(review_id=row.pk, actor=request.user, request=request)
        self.message_user(request, "Removed; ratings recomputed.", messages.SUCCESS)

    def get_actions(self, request):
        # The built-in bulk delete would skip the rating recomputation.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAreaAdmin):
    view_area = "finance"
    list_display = ["event_id", "type", "received_at", "processed_at", "result"]
    list_filter = ["type", "result"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
