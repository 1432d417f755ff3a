from django.urls import path

from commissions import views

urlpatterns = [
    path("commissions/dashboard", views.DashboardView.as_view(), name="commissions-dashboard"),
    path("commissions/history", views.HistoryView.as_view(), name="commissions-history"),
    path("commissions/pending", views.PendingView.as_view(), name="commissions-pending"),
    path("commissions/calculate", views.CalculateView.as_view(), name="commissions-calculate"),
    path("commissions/leaderboard", views.LeaderboardView.as_view(), name="commissions-leaderboard"),
    path("commissions/analytics", views.AnalyticsView.as_view(), name="commissions-analytics"),
    path("commissions/approve", views.ApproveView.as_view(), name="commissions-approve"),
    path("commissions/payout", views.PayoutView.as_view(), name="commissions-payout"),
    path("commissions/payout/jobs/<uuid:job_id>", views.PayoutJobView.as_view(), name="commissions-payout-job"),
    path("commissions/tiers", views.TierListView.as_view(), name="commissions-tiers"),
]
