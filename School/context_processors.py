def current_school(request):
    """The school of the request (a SchoolInfo) as `school` in every template."""
    return {"school": getattr(request, "school", None)}
