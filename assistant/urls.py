from django.urls import path

from assistant import views

urlpatterns = [
    path("assistant/ask", views.AskView.as_view(), name="assistant-ask"),
    path("assistant/articles", views.ArticleListView.as_view(), name="assistant-articles"),
    path("assistant/articles/<str:article_id>", views.ArticleDetailView.as_view(), name="assistant-article"),
    path(
        "assistant/conversations/<str:conversation_id>",
        views.ConversationView.as_view(),
        name="assistant-conversation",
    ),
]
