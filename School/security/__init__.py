"""Security of the platform, per school: who may see students and how that is enforced.

  access.py      student data only for the school's own users (production profile)
  headers.py     Content-Security-Policy on every response
  lockout.py     django-axes glue: the lock-out page and the client's address
  tokens.py      hashed, expiring API tokens (only a SHA-256 digest is stored)
  throttling.py  API rate limit per token, keyed by school
  limits.py      allow(scope, key, limit, period): a limit shared through Django's cache
  audit.py       the audit trail of who exported, imported and read students
  tls_ask.py     Caddy's on-demand TLS question: is this host a school's?

Every model here is a row of the school's own database (the router sends it
there like the school's users), so nothing of one school is seen at another.
"""
