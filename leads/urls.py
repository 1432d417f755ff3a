from django.urls import path

from leads import views

urlpatterns = [
    path("leads/create", views.LeadCreateView.as_view(), name="leads-create"),
    path("leads/list", views.LeadListView.as_view(), name="leads-list"),
    path("leads/analytics", views.LeadAnalyticsView.as_view(), name="leads-analytics"),
    path("leads/import", views.LeadImportView.as_view(), name="leads-import"),
    path("leads/<int:pk>", views.LeadDetailView.as_view(), name="leads-detail"),
    path("leads/<int:pk>/assign", views.LeadAssignView.as_view(), name="leads-assign"),
    path("leads/<int:pk>/convert", views.LeadConvertView.as_view(), name="leads-convert"),
    path("leads/<int:pk>/notes", views.LeadNotesView.as_view(), name="leads-notes"),
    path("leads/<int:pk>/history", views.LeadHistoryView.as_view(), name="leads-history"),
    path("leads/<int:pk>/whatsapp", views.LeadWhatsAppView.as_view(), name="leads-whatsapp"),
    path("webhooks/twilio/status", views.TwilioStatusWebhookView.as_view(), name="twilio-status"),
    path("webhooks/twilio/inbound", views.TwilioInboundWebhookView.as_view(), name="twilio-inbound"),
]
