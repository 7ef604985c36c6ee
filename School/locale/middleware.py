"""The signed-in user's own language, over the school's (which School.middleware made active).

The choice is a row of the school's database (LanguagePreference), copied
into the session at sign-in and when changed, so that a request reads it
with the session it loads anyway: no query of its own. Requests without a
session cookie (anonymous visitors of the hot page) cost nothing here.
Cookies and Accept-Language are not read: the school decides, so an unknown
or forged value there can change nothing. School.middleware restores the
language when the response is made.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import translation

from School.middleware import SyncAndAsyncMiddleware

SESSION_KEY = "_school_user_language"


def offered(language):
    return language in dict(settings.LANGUAGES)


def chosen_language(request):
    """The language the session's user chose, or None (then the school's stays active)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    language = request.session.get(SESSION_KEY)
    return language if language and offered(language) else None


class UserLanguageMiddleware(SyncAndAsyncMiddleware):
    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        language = chosen_language(request)
        if language:
            translation.activate(language)
        return self.get_response(request)

    async def __acall__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            # Loading the session queries the school's database: not on the loop.
            language = await sync_to_async(chosen_language)(request)
            if language:
                translation.activate(language)
        return await self.get_response(request)
