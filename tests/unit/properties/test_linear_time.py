"""Every validator and parser takes time roughly linear in its input: fifty times the input may
cost about fifty times the time, never the square of it. A 400 KB name once took 18.5 s of CPU in
the generic-name analysis, and a long ``${X:-`` policy value took quadratic time to interpolate.

CPU time (not wall time) and ratios only, with generous bounds: linear is 50x, quadratic 2500x.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lrs_keycloak import config
from lrs_keycloak.domain import generic_names
from lrs_keycloak.domain.errors import RuleViolation
from lrs_keycloak.domain.generic_names import check_person_name, default_policy
from lrs_keycloak.domain.organisations import check_organisation_id
from lrs_keycloak.domain.recovery import FORM_TEXT_FIELDS, NewSuperUserForm, validate_form
from lrs_keycloak.domain.usernames import base_username
from lrs_keycloak.domain.users import UserDetails, is_valid_email, validate_details
from tests.unit.properties.strategies import PROPERTY

SMALL = 4 * 1024
LARGE = 200 * 1024
#: Linear code costs LARGE / SMALL = 50x; allow four times that for noise on a shared machine.
MOST = 4 * LARGE / SMALL
POLICY = default_policy()
TIMED = settings(PROPERTY, max_examples=3)

#: Inputs that made (or could make) the analysis backtrack or rescan.
ADVERSARIAL = (
    "user", "Ab", "a b", "admindepartment", "help-desk ", "x", "Ä-", "1@<", "usera", "${A:-",
    "a.", "a-", "user1", "e\u0301", "ﷺ", "'",
)  # fmt: skip
seeds = st.sampled_from(ADVERSARIAL) | st.text(min_size=1, max_size=6)


def _grow(seed: str, size: int) -> str:
    return (seed * (size // len(seed) + 1))[:size]


def _cpu(function: Callable[[str], object], value: str, runs: int = 3) -> float:
    """Best CPU time of ``runs``, each repeating the call until it is measurable."""
    best = float("inf")
    for _ in range(runs):
        repeat = 1
        while True:
            start = time.process_time()
            for _ in range(repeat):
                function(value)
            elapsed = time.process_time() - start
            if elapsed >= 0.01 or repeat >= 4096:
                break
            repeat *= 4
        best = min(best, elapsed / repeat)
    return best


def _assert_linear(function: Callable[[str], object], seed: str, small: int = SMALL) -> None:
    large = small * LARGE // SMALL
    little, big = _cpu(function, _grow(seed, small)), _cpu(function, _grow(seed, large), runs=2)
    assert big <= MOST * max(little, 1e-5), f"{big:.4f}s for {large} vs {little:.5f}s for {small}"


def _refused(call: Callable[[], object]) -> object:
    try:
        return call()
    except RuleViolation as refused:  # a refusal is an answer too
        return refused


@pytest.fixture
def analyse_any_length(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lift the length cap, to time the analysis itself rather than the early refusal."""
    monkeypatch.setattr(generic_names, "MAX_ANALYSED_LENGTH", 10**9)
    yield


@pytest.mark.parametrize("seed", ["user", "AbC"])
def test_the_generic_name_analysis_is_linear_in_the_name_length(
    analyse_any_length: None, seed: str
) -> None:
    # Smaller sizes than the others (512 B → 25 KB, still fifty times): the uncapped analysis
    # of 200 KB takes seconds even when linear.
    _assert_linear(
        lambda v: check_person_name(v, v, policy=POLICY, organisation_name=v), seed, small=512
    )


@TIMED
@given(seeds)
@example("user")  # ran out of stack, after seconds of CPU, before the split was linear
def test_checking_a_person_name_is_linear(seed: str) -> None:
    _assert_linear(lambda v: check_person_name(v, "Smith", policy=POLICY), seed)


@TIMED
@given(seeds)
def test_validating_user_details_is_linear(seed: str) -> None:
    def validate(value: str) -> object:
        return validate_details(
            UserDetails(value, value, value, value, value, value, value, value, value),
            policy=POLICY,
            organisation_name=value,
        )

    _assert_linear(validate, seed)


@TIMED
@given(seeds)
def test_making_an_account_name_is_linear(seed: str) -> None:
    _assert_linear(lambda v: _refused(lambda: base_username(v, v)), seed)


@TIMED
@given(seeds)
def test_checking_emails_organisation_ids_and_usernames_is_linear(seed: str) -> None:
    _assert_linear(is_valid_email, seed)
    _assert_linear(lambda v: check_organisation_id(v, "organisation_id"), seed)


@TIMED
@given(seeds)
def test_reading_and_checking_a_new_super_user_form_is_linear(seed: str) -> None:
    def answer(value: str) -> object:
        fields = dict.fromkeys([*FORM_TEXT_FIELDS, "nominee_staff_id"], value)
        data: dict[str, object] = {
            **fields,
            "manager_signed_agreement": True,
            "received_on": value,
        }
        form = _refused(lambda: NewSuperUserForm.from_dict(data))
        if isinstance(form, NewSuperUserForm):
            return validate_form(form, date(2026, 11, 30))
        form = NewSuperUserForm.from_dict({**data, "received_on": "2026-11-29"})
        return validate_form(form, date(2026, 11, 30))

    _assert_linear(answer, seed)


@TIMED
@given(seeds)
@example("${A:-")  # each unclosed default was rescanned to the end: quadratic
def test_interpolating_the_environment_into_a_policy_value_is_linear(seed: str) -> None:
    _assert_linear(config.interpolate, seed)


def test_reading_a_policy_file_is_linear(tmp_path: Path) -> None:
    file = tmp_path / "realm.yaml"

    def load(value: str) -> object:
        file.write_text(f"smtp:\n  host: {value!r}\n", encoding="utf-8")
        return config.load_yaml(file, [])

    _assert_linear(load, "${A:-x ")
