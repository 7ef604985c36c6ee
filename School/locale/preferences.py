"""A signed-in user chooses a language of their own (or the school's) on /language/.

The choice is kept in the school's database (LanguagePreference) and, for
the requests that follow, in the session (School.locale.middleware).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from School.locale.activation import language_of
from School.locale.middleware import SESSION_KEY
from School.locale.models import LanguagePreference

SCHOOLS_OWN = ""


@receiver(user_logged_in)
def remember_language(sender, request, user, **kwargs):
    """Sign-in (the admin's or ours): the user's choice into the new session."""
    language = LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = language or SCHOOLS_OWN


def choose_language(request, language):
    """Keep `language` (or the school's, SCHOOLS_OWN) as the user's, and use it from now on."""
    if language == SCHOOLS_OWN:
        LanguagePreference.objects.filter(user=request.user).delete()
    else:
        LanguagePreference.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language
    translation.activate(language or language_of(request.school))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        own = dict(settings.LANGUAGES)[language_of(school)]
        self.fields["language"].choices = [
            (SCHOOLS_OWN, _("The school's language (%(language)s)") % {"language": own}),
            *settings.LANGUAGES,
        ]


@login_required
def language_page(request):
    current = request.session.get(SESSION_KEY, SCHOOLS_OWN)
    form = LanguageForm(request.POST or None, initial={"language": current}, school=request.school)
    if request.method == "POST":
        if form.is_valid():
            choose_language(request, form.cleaned_data["language"])
            messages.success(request, _("Your language is saved."))
            return redirect("language")
        return render(request, "locale/language.html", {"form": form}, status=400)
    return render(request, "locale/language.html", {"form": form})
