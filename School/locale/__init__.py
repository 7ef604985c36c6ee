"""Each school's language, time zone and date order, and each user's own language.

The school's locale is a column of the registry (School.models.School) and
travels in SchoolInfo; School.middleware activates it for every request on
the school's host (School.locale.activation). A signed-in user's own choice is
a row of the school's database (LanguagePreference), kept in the session so
that the hot pages pay no query for it (School.locale.middleware).
"""
