"""Caddy's on-demand TLS question, answered from the registry (DESIGN.md pitfall), in-process."""

from django.test import Client

from School.security.tls_ask import ASK_PATH


def ask(domain, host="127.0.0.1", **params):
    query = {} if domain is None else {"domain": domain}
    return Client(HTTP_HOST=host).get(ASK_PATH, {**query, **params})


def test_yes_only_for_hosts_of_registered_unsuspended_schools(three_schools, settings):
    settings.SECURE_SSL_REDIRECT = True  # the production profile: Caddy asks over plain HTTP
    three_schools.schools["accra"].suspended = True
    three_schools.schools["accra"].save()
    assert ask("nairobi.school.local").status_code == 200
    assert ask("NAIROBI.localhost.").status_code == 200
    assert ask("localhost").status_code == 200
    for refused in ("accra.localhost", "evil.localhost", "nairobi.localhost.evil.com", "", "x" * 300):
        assert ask(refused).status_code == 404, refused
    assert ask(None).status_code == 400


def test_the_answer_is_about_domain_not_about_the_host_it_arrives_with(three_schools):
    # 127.0.0.1 is the default school's host: pointing `ask` at an ordinary
    # page would approve every name. An unknown arrival host is answered too.
    for arrival in ("127.0.0.1", "nairobi.localhost", "unknown.example"):
        assert ask("evil.localhost", host=arrival).status_code == 404
        assert ask("accra.school.local", host=arrival).status_code == 200
