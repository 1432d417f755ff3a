from django.urls import path

from engagements import views

urlpatterns = [
    path("webhooks/stripe/engagements", views.StripeWebhookView.as_view(), name="engagements-stripe-webhook"),
    path("rfqs/<int:pk>/quotes", views.RfqQuotesView.as_view(), name="rfq-quotes"),
    path("quotes/<int:pk>", views.QuoteDetailView.as_view(), name="quote"),
    path("quotes/<int:pk>/accept", views.QuoteAcceptView.as_view(), name="quote-accept"),
    path("engagements", views.EngagementListView.as_view(), name="engagements"),
    path("engagements/<int:pk>", views.EngagementDetailView.as_view(), name="engagement"),
    path("engagements/<int:pk>/milestones/<int:mid>/fund", views.FundView.as_view(), name="milestone-fund"),
    path("engagements/<int:pk>/milestones/<int:mid>/submit", views.SubmitView.as_view(), name="milestone-submit"),
    path("engagements/<int:pk>/milestones/<int:mid>/approve", views.ApproveView.as_view(), name="milestone-approve"),
    path(
        "engagements/<int:pk>/milestones/<int:mid>/request-changes",
        views.RequestChangesView.as_view(),
        name="milestone-request-changes",
    ),
    path("engagements/<int:pk>/milestones/<int:mid>/dispute", views.DisputeView.as_view(), name="milestone-dispute"),
    path("engagements/<int:pk>/milestones/<int:mid>/resolve", views.ResolveView.as_view(), name="milestone-resolve"),
    path("engagements/<int:pk>/change-orders", views.ChangeOrdersView.as_view(), name="change-orders"),
    path(
        "engagements/<int:pk>/change-orders/<int:cid>/accept",
        views.ChangeOrderAcceptView.as_view(),
        name="change-order-accept",
    ),
    path(
        "engagements/<int:pk>/change-orders/<int:cid>/decline",
        views.ChangeOrderDeclineView.as_view(),
        name="change-order-decline",
    ),
]
