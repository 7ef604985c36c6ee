"""Thousands of generated Host headers: each reaches its own school or a 4xx, never another school."""

import string

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHOOLS = {
    "localhost": ("default", "DEF-"),
    "127.0.0.1": ("default", "DEF-"),
    "nairobi.localhost": ("nairobi", "NBI-"),
    "nairobi.school.local": ("nairobi", "NBI-"),
    "accra.localhost": ("accra", "ACC-"),
    "accra.school.local": ("accra", "ACC-"),
}
PREFIXES = {prefix for _, prefix in SCHOOLS.values()}
NAMES = ("Default School", "Nairobi School", "Accra Academy")
EXAMPLES = settings(
    max_examples=700, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

real_host = st.sampled_from(sorted(SCHOOLS))


@st.composite
def spellings_of_a_real_host(draw):
    """How browsers and proxies may write a registered host: any case, trailing dot, a port."""
    host = draw(real_host)
    host = "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in host)
    if draw(st.booleans()):
        host += "."
    if draw(st.booleans()):
        host += f":{draw(st.integers(1, 65535))}"
    return host


@st.composite
def near_misses(draw):
    """Registered hosts with something added: prefixes, suffixes, other domains, extra labels."""
    host = draw(real_host)
    label = draw(st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12))
    return draw(st.sampled_from([
        f"{label}{host}", f"{host}{label}", f"{host}.{label}", f"{label}.{host}", f"{host}.evil.com",
        f"{host}.{label}.com", f"{host}@evil.com", f"{host}:{label}", f"{host}/{label}", f"{host} {label}",
        f"xn--{label}.{host}", f"{label * 30}.{host}", f"{host}..", f".{host}",
    ]))


junk = st.one_of(
    st.text(max_size=80),  # any unicode, control characters included
    st.text(string.printable, max_size=300),
    st.sampled_from(["[::1]", "[::1]:8000", "[2001:db8::1]", "0.0.0.0", "127.0.0.2", "localhost6", "LOCALHOST.localdomain",
                     "xn--nairobi-9ya.localhost", "nairobi\u3002localhost", "ｎａｉｒｏｂｉ.localhost", "a" * 5000]),
)


def expected_school(header):
    """An independent oracle: the school a correct server must serve for this header, or None."""
    host = header.lower()
    if host.count(":") == 1 and host.rsplit(":", 1)[1].isdigit():
        host = host.rsplit(":", 1)[0]
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    return SCHOOLS.get(host)


def check(header):
    response = Client(HTTP_HOST=header, raise_request_exception=False).get("/")
    body = response.content.decode("utf-8", "replace")
    expected = expected_school(header)
    assert response.status_code < 500, (header, response.status_code)
    if expected is None:
        assert response.status_code in (400, 404), (header, response.status_code)
        assert not any(prefix in body for prefix in PREFIXES), header
        assert not any(name in body for name in NAMES), header
    else:
        assert response.status_code == 200, (header, response.status_code)
        shown = {prefix for prefix in PREFIXES if prefix in body}
        assert shown == {expected[1]}, (header, shown)


@pytest.mark.parametrize("strategy", [spellings_of_a_real_host(), near_misses(), junk], ids=["spellings", "near-misses", "junk"])
def test_generated_hosts_never_reach_another_school(three_schools, strategy):
    @EXAMPLES
    @given(header=strategy)
    def run(header):
        check(header)

    run()
