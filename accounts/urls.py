from django.urls import path

from accounts import views

urlpatterns = [
    path("register", views.RegisterView.as_view(), name="auth-register"),
    path("login", views.LoginView.as_view(), name="auth-login"),
    path("refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("logout", views.LogoutView.as_view(), name="auth-logout"),
    path("forgot-password", views.ForgotPasswordView.as_view(), name="auth-forgot-password"),
    path("reset-password", views.ResetPasswordView.as_view(), name="auth-reset-password"),
    path("2fa/setup", views.TwoFactorSetupView.as_view(), name="auth-2fa-setup"),
    path("2fa/verify", views.TwoFactorVerifyView.as_view(), name="auth-2fa-verify"),
    path("2fa/backup", views.BackupCodesView.as_view(), name="auth-2fa-backup"),
    path("me", views.MeView.as_view(), name="auth-me"),
]
