from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("experts/", views.ExpertListView.as_view(), name="expert_list"),
    path("experts/new/", views.ExpertEditView.as_view(), name="expert_create"),
    path("experts/<int:pk>/edit/", views.ExpertEditView.as_view(), name="expert_update"),
    path("agencies/", views.AgencyListView.as_view(), name="agency_list"),
    path("agencies/new/", views.AgencyEditView.as_view(), name="agency_create"),
    path("agencies/<int:pk>/edit/", views.AgencyEditView.as_view(), name="agency_update"),
    path("organizations/", views.OrganizationTreeView.as_view(), name="organization_tree"),
    path("organizations/<int:pk>/", views.OrganizationDetailView.as_view(), name="organization_detail"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
]
