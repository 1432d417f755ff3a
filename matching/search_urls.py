from django.urls import path

from matching import search_views

urlpatterns = [
    path("search/experts", search_views.ExpertSearchView.as_view(), name="search-experts"),
    path("search/services", search_views.ServiceSearchView.as_view(), name="search-services"),
    path("search/suggestions", search_views.SuggestionView.as_view(), name="search-suggestions"),
    path("search/specializations", search_views.SpecializationListView.as_view(), name="search-specializations"),
    path("search/trending", search_views.TrendingView.as_view(), name="search-trending"),
    path("search/analytics", search_views.SearchAnalyticsView.as_view(), name="search-analytics"),
    path("search/filters", search_views.FilterFacetsView.as_view(), name="search-filters"),
]
