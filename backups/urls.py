from django.urls import path

from backups import views

urlpatterns = [
    path("backup/create", views.BackupCreateView.as_view(), name="backup-create"),
    path("backup/list", views.BackupListView.as_view(), name="backup-list"),
    path("backup/status", views.BackupStatusView.as_view(), name="backup-status"),
    path("backup/verify/<uuid:pk>", views.BackupVerifyView.as_view(), name="backup-verify"),
    path("backup/restore/<uuid:pk>", views.BackupRestoreView.as_view(), name="backup-restore"),
    path("backup/disaster-recovery", views.DisasterRecoveryView.as_view(), name="backup-disaster-recovery"),
    path("backup/cleanup", views.BackupCleanupView.as_view(), name="backup-cleanup"),
]
