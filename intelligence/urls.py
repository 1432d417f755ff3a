from django.urls import path

from intelligence import views

urlpatterns = [
    path("intelligence/demand", views.DemandView.as_view(), name="intelligence-demand"),
    path("intelligence/pricing", views.PricingView.as_view(), name="intelligence-pricing"),
    path("intelligence/gaps", views.GapsView.as_view(), name="intelligence-gaps"),
]
