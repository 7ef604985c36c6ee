"""People and access at one school: joining, signing in and out, a second factor.

  invitations.py    an admin (or `invite`) asks a person by email; the link makes their account
  passwords.py      "forgotten your password?": reset links bound to the school and host
  second_factor.py  TOTP (django-otp) with recovery codes: who needs it, checking codes
  sign_in.py        the two-step sign-in used by /accounts/login/ and the admin
  middleware.py     the request's user and the session's device (django-otp, any id type); unverified sessions see only /accounts/
  sessions.py       the session engine; kept_sign_ins.py a signed-in session kept per worker under the access stamp
  views.py          the pages: second-factor set-up, accepting an invitation, password reset, sign-out
  admin.py          invitations in the school's admin: invite, list, resend, revoke
  mail.py           messages with the school's name and host, sent after the transaction commits
  groups.py         Registrars, Viewers and School admins, made in every school's database
  checks.py         `check --deploy` warns when production relaxes the second factor

Invitations, users, devices and recovery codes are rows of the school's own
database (the router sends them there), so backups, restore and move carry
them like any other table.
"""
