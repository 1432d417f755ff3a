from matching.search_urls import urlpatterns as search_urlpatterns

urlpatterns = [*search_urlpatterns]
