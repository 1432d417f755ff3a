from django.urls import path

from realtime import views

urlpatterns = [
    path("notifications", views.NotificationListView.as_view(), name="notifications-list"),
    path("notifications/read-all", views.NotificationReadAllView.as_view(), name="notifications-read-all"),
    path("notifications/preferences", views.NotificationPreferencesView.as_view(), name="notifications-preferences"),
    path("notifications/<int:pk>/read", views.NotificationReadView.as_view(), name="notifications-read"),
    path("realtime/presence", views.PresenceView.as_view(), name="realtime-presence"),
    path("realtime/experts", views.PresentExpertsView.as_view(), name="realtime-experts"),
    path("realtime/status", views.RealtimeStatusView.as_view(), name="realtime-status"),
]
