from django.urls import path

from School.school_year.pages import classes, ladder, promotion

urlpatterns = [
    path("classes/", classes.classes_page, name="classes"),
    path("classes/list/", classes.class_list_page, name="class-list"),
    path("school-year/promotion/", promotion.promotion_page, name="promotion"),
    path("school-year/promotion/undo/", promotion.undo_page, name="promotion-undo"),
    path("school-year/grades/", ladder.ladder_page, name="grade-ladder"),
]
