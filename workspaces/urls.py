from django.urls import path

from workspaces import views

urlpatterns = [
    path("workspaces", views.WorkspaceListView.as_view(), name="workspaces"),
    path("workspaces/<int:pk>", views.WorkspaceDetailView.as_view(), name="workspace"),
    path("workspaces/<int:pk>/messages", views.MessagesView.as_view(), name="workspace-messages"),
    path("workspaces/<int:pk>/files", views.FilesView.as_view(), name="workspace-files"),
    path(
        "workspaces/<int:pk>/files/<int:attachment_id>",
        views.FileDownloadView.as_view(),
        name="workspace-file-download",
    ),
    path("workspaces/<int:pk>/read", views.ReadView.as_view(), name="workspace-read"),
]
