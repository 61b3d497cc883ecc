"""Pages of the funds app; included under /funds/ (namespace "funds"):

    path("funds/", include("rongcuo.funds.urls")),
"""

from django.urls import path

from rongcuo.funds import views

app_name = "funds"

urlpatterns = [
    path("", views.fund_list, name="fund_list"),
    path("<int:pk>/", views.fund_detail, name="fund_detail"),
    path("investments/<int:pk>/exemption/", views.exemption, name="exemption"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
]
