"""Sign-in, the second factor, one's own API tokens, and a project's audit trail (included from
config.urls)."""

from django.urls import path

from institutes import views

urlpatterns = [
    path("accounts/login/", views.login, name="login"),
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        views.two_factor_recovery,
        name="two_factor_recovery",
    ),
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("projects/<slug:slug>/audit/", views.project_audit, name="project_audit"),
]
