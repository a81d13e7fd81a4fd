"""Inputs for the property tests: what a super user, the admin console, a form file or a
policy file may hold, biased towards the cases the rules look at."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from lrs_keycloak.domain.generic_names import DEFAULT_DEPARTMENTS, DEFAULT_GENERIC_WORDS

#: Each property runs this many cases; no deadline (the machine is shared), no example
#: database (nothing written into the working tree).
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: For properties whose cases are costly to build or check (large structures, YAML files).
HEAVY_PROPERTY = settings(PROPERTY, max_examples=60)
#: For properties that load the whole policy from disk (tens of milliseconds a case).
SLOW_PROPERTY = settings(PROPERTY, max_examples=25)

_NAME_PIECES = (
    *DEFAULT_GENERIC_WORDS,
    *DEFAULT_DEPARTMENTS,
    "Jo", "Smith", "O'", "Mc", "Donald", "Anytown", "College", "The", "Lrb", "Super", "User",
    "Admin", "Help", "Desk", "Zoë", "Nguyễn", "Straße", "ﬃ", "李", "Ω", "é", "e\u0301",
    " ", "-", "‐", "’", ".", "\u00a0", "1", "١", "²", "@", "＠", "<", "\n", "\t", "\x00",
    "\ud800", "ﷺ", "İ",
)  # fmt: skip

#: Names: real ones, generic ones, camelCase joins, punctuation, digits, other scripts.
names = st.one_of(
    st.lists(st.sampled_from(_NAME_PIECES), max_size=10).map("".join),
    st.text(max_size=40),
)

#: Telephone numbers, near misses included.
telephones = st.one_of(
    st.text(alphabet="0123456789 +()-", max_size=30),
    st.text(alphabet="0123456789 +()-²١٢x.\n", max_size=30),
    st.text(max_size=20),
)

#: Email addresses, near misses included.
emails = st.one_of(
    st.emails().map(str),
    st.text(alphabet="ab.-@_+xyz0", max_size=30),
    st.text(max_size=30),
)

#: Any JSON value, as a request body or a JSON form file may hold.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)

#: Any value YAML's safe loader may build: also dates, bytes and non-text keys.
yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.dates(),
    st.binary(max_size=8),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=8), st.integers(), st.none()), inner, max_size=4
        )
    ),
    max_leaves=12,
)
