from django.urls import path

from School.documents import views

# <str:pk>: ids are ObjectIds on MongoDB, integers on SQLite.
urlpatterns = [
    path("students/photos/import/", views.import_photos, name="photo-import"),
    path("students/<str:pk>/files/", views.upload, name="file-upload"),
    path("files/<str:pk>/", views.download, name="file-download"),
    path("files/<str:pk>/thumbnail", views.thumbnail, name="file-thumbnail"),
    path("files/<str:pk>/delete", views.delete, name="file-delete"),
]
