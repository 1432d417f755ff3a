from django.urls import path

from consultations import views

urlpatterns = [
    path("consultations", views.ConsultationListView.as_view(), name="consultations"),
    path("consultations/calendar", views.CalendarView.as_view(), name="consultations-calendar"),
    path("consultations/calendar/rotate", views.CalendarRotateView.as_view(), name="consultations-calendar-rotate"),
    path(
        "consultations/calendar/feed/<str:token>.ics",
        views.CalendarFeedView.as_view(),
        name="consultations-calendar-feed",
    ),
    path("consultations/<int:pk>", views.ConsultationDetailView.as_view(), name="consultation"),
    path("consultations/<int:pk>/confirm", views.ConfirmView.as_view(), name="consultation-confirm"),
    path("consultations/<int:pk>/decline", views.DeclineView.as_view(), name="consultation-decline"),
    path("consultations/<int:pk>/reschedule", views.RescheduleView.as_view(), name="consultation-reschedule"),
    path("consultations/<int:pk>/cancel", views.CancelView.as_view(), name="consultation-cancel"),
    path("consultations/<int:pk>/complete", views.CompleteView.as_view(), name="consultation-complete"),
    path("consultations/<int:pk>/dispute", views.DisputeView.as_view(), name="consultation-dispute"),
    path("consultations/<int:pk>/resolve", views.ResolveView.as_view(), name="consultation-resolve"),
    path("consultations/<int:pk>/review", views.ReviewView.as_view(), name="consultation-review"),
    path("consultations/<int:pk>/review/reply", views.ReviewReplyView.as_view(), name="consultation-review-reply"),
    path("consultations/<int:pk>/invoice", views.InvoiceView.as_view(), name="consultation-invoice"),
    path("experts/<int:pk>/reviews", views.ExpertReviewsView.as_view(), name="expert-reviews"),
    path("webhooks/stripe", views.StripeWebhookView.as_view(), name="stripe-webhook"),
]
