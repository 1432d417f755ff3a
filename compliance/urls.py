from django.urls import path

from compliance import views

urlpatterns = [
    path("compliance/ledger", views.LedgerListView.as_view(), name="compliance-ledger"),
    path("compliance/ledger/head", views.LedgerHeadView.as_view(), name="compliance-ledger-head"),
    path("compliance/certificates", views.CertificateListView.as_view(), name="compliance-certificates"),
    path("compliance/certificates/<str:pk>", views.CertificateDetailView.as_view(), name="compliance-certificate"),
    path(
        "compliance/certificates/<str:pk>/verify",
        views.CertificateVerifyView.as_view(),
        name="compliance-certificate-verify",
    ),
    path(
        "compliance/certificates/<str:pk>/revoke",
        views.CertificateRevokeView.as_view(),
        name="compliance-certificate-revoke",
    ),
    path("vault/certificates", views.VaultListView.as_view(), name="vault-certificates"),
    path("vault/certificates/<str:pk>", views.VaultDetailView.as_view(), name="vault-certificate"),
    path(
        "vault/certificates/<str:pk>/request-help",
        views.VaultRequestHelpView.as_view(),
        name="vault-certificate-request-help",
    ),
]
