from django.urls import path

from School.transfers import views

urlpatterns = [
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/send/", views.send, name="transfer-send"),
    path("transfers/<uuid:key>/cancel/", views.cancel, name="transfer-cancel"),
    path("transfers/<uuid:key>/accept/", views.accept, name="transfer-accept"),
    path("transfers/<uuid:key>/decline/", views.decline, name="transfer-decline"),
]
