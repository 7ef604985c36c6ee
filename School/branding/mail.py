"""A branded school's messages: beside the plain text, an HTML part with its logo and colours.

The logo is a link to the school's own host (the image the school's pages
show), not an attachment: a message stays small, and a mail client that
fetches no remote images still shows the header in the school's colours.
Schools on the platform's look send plain text alone, as before.
"""

from django.template.loader import render_to_string


def html_part(look, school_name, body, absolute):
    """The HTML alternative of a plain-text `body`, or None for a school that set no logo nor colours.

    `absolute(path)` makes a link to the school's own host (School/accounts/mail.py `link`).
    """
    if not (look.logo or look.stylesheet):
        return None
    return render_to_string("branding/mail/branded.html", {
        "school_name": school_name,
        "look": look,
        "logo_url": absolute(look.logo) if look.logo else "",
        "body": body,
    })
