from django.urls import path

from matching import views
from matching.search_urls import urlpatterns as search_urlpatterns

urlpatterns = [
    *search_urlpatterns,
    path("search/suggest-experts", views.SuggestExpertsView.as_view(), name="suggest-experts"),
    path("matching/weights", views.WeightsView.as_view(), name="matching-weights"),
    path("integrations/rfq", views.RfqIntakeView.as_view(), name="rfq-intake"),
    path("rfqs", views.RfqListView.as_view(), name="rfqs"),
    path("rfqs/<int:pk>", views.RfqDetailView.as_view(), name="rfq-detail"),
    path("rfqs/<int:pk>/respond", views.RfqRespondView.as_view(), name="rfq-respond"),
    path("rfqs/<int:pk>/close", views.RfqCloseView.as_view(), name="rfq-close"),
]
