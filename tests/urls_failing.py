"""A URLconf whose view raises, to check the school is deactivated afterwards."""

from django.urls import path

from School.context import current_school

seen_during_request = []


def boom(request):
    seen_during_request.append(current_school().name)
    raise RuntimeError("the view failed")


urlpatterns = [path("boom", boom)]
