"""The tutorial's bare student page: a plain single-database Django project.

The baseline of bench/bare_page.py: Django's startproject settings, one app,
one view that renders 50 students in a four-column table with a Django
template and one query. No tenancy, no search, sort, filters, count or links.
"""
