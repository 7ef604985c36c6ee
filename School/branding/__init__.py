"""Each school's look: its logo, two colours and a welcome on the sign-in page, set without code.

models.py    the one Branding row, in the school's OWN database (backups, restore, clone and move carry it)
colours.py   #rrggbb colours and the WCAG contrast a pair must reach
logo.py      an uploaded logo checked and re-encoded as students' photos are (School/documents/inspection.py)
service.py   change a school's branding (the page and `schools set` alike), refusals as BrandingRefused
looks.py     what pages show, kept per worker: re-read at most once per SCHOOL_REGISTRY_TTL, never per request
views.py     the school admin's page, the logo and the colours' stylesheet, served by each school's own host
"""
