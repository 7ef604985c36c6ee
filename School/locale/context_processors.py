from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language


def language(request):
    """The active language (for <html lang>) and time zone, in both template engines."""
    return {"language_code": get_language(), "time_zone_name": get_current_timezone_name()}
