"""Phone numbers in one stored form: E.164 (+254712345678), read with libphonenumber's rules.

A number typed without its country code is read as a number of the school's
country. A school has no country field: its country is the one its time zone
belongs to (tzdata's zone.tab: Africa/Nairobi is KE, Africa/Accra GH), and a
school on a zone of no country (UTC) uses PHONE_DEFAULT_REGION, or, when that
is empty, needs numbers written with their +country code.
"""

import functools
import importlib.resources

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from School.locale.activation import zone_of


@functools.cache
def _zone_countries():
    """{IANA zone name: ISO 3166 country code} from tzdata's zone.tab."""
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    countries = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            codes, _coordinates, zone = line.split("\t")[:3]
            countries[zone] = codes.split(",")[0]
    return countries


def region_of(school):
    """The two-letter region a number without +country code is read in, at `school` ("" for none)."""
    return _zone_countries().get(str(zone_of(school)), "") or settings.PHONE_DEFAULT_REGION


def normalise_phone(text, region):
    """`text` (as typed) in E.164, read as a number of `region` unless it starts with +; "" stays "".

    ValidationError (one message) when it cannot be a phone number there.
    """
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if number is not None:
            region = phonenumbers.region_code_for_country_code(number.country_code)
        if region and region != "ZZ":
            message = _("%(value)s is not a phone number that can exist in %(region)s: write it as it is dialled "
                        "there, or with + and the country code")
        else:
            message = _("%(value)s is not a phone number that can exist: write it with + and the country code")
        raise ValidationError(message % {"value": repr(text), "region": region})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown(value):
    """A stored E.164 number as people read it (+254 712 345678)."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value
