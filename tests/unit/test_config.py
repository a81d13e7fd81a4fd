"""The policy files: the real ones load, and every mistake names file, path and reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lrs_keycloak.config import ConfigError, load_organisations, load_policy
from lrs_keycloak.domain.roles import GUIDE_ROLE_NAMES
from lrs_keycloak.settings import PROJECT_ROOT, config_dir


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "realm-config"
    shutil.copytree(config_dir(), target)
    return target


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert old in text, f"{old!r} not in {file.name}"
    file.write_text(text.replace(old, new, 1))


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_policy(directory)
    return [str(p) for p in refused.value.problems]


def test_the_shipped_policy_loads_with_the_eight_guide_roles() -> None:
    policy = load_policy(config_dir())
    assert policy.realm == "lrs"
    assert set(policy.roles.names) == set(GUIDE_ROLE_NAMES)
    assert policy.client["directAccessGrantsEnabled"] is False


def test_the_realm_name_can_be_overridden_for_throwaway_realms() -> None:
    assert load_policy(config_dir(), realm="lrs-test-x").realm == "lrs-test-x"


def test_smtp_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("LRS_SMTP_PASSWORD", "s3cret")
    policy = load_policy(config_dir())
    assert policy.smtp["host"] == "smtp.example.org"
    assert policy.smtp["password"] == "s3cret"


def test_an_unknown_key_is_refused_with_file_and_path(policy_dir: Path) -> None:
    _edit(policy_dir / "realm.yaml", "  failureFactor: 5", "  failureFactr: 5")
    problems = _problems(policy_dir)
    assert any(p.startswith("realm.yaml: brute_force.failureFactr: unknown key") for p in problems)


def test_a_wrong_type_is_refused(policy_dir: Path) -> None:
    _edit(policy_dir / "realm.yaml", "  failureFactor: 5", "  failureFactor: five")
    assert any("brute_force.failureFactor: must be int" in p for p in _problems(policy_dir))


def test_direct_access_grants_are_refused_because_they_skip_the_user_agreement(
    policy_dir: Path,
) -> None:
    _edit(
        policy_dir / "realm.yaml",
        "directAccessGrantsEnabled: false",
        "directAccessGrantsEnabled: true",
    )
    assert any("User Agreement" in p for p in _problems(policy_dir))


def test_the_second_factor_is_required_of_super_users_and_the_help_desk() -> None:
    second = load_policy(config_dir()).second_factor
    assert second is not None
    assert set(second.roles) == {"LRBSuperUser", "lrs-helpdesk"}
    assert second.every_lrs_user is False


def test_a_second_factor_role_that_is_no_known_role_is_refused(policy_dir: Path) -> None:
    _edit(policy_dir / "realm.yaml", "roles: [LRBSuperUser, lrs-helpdesk]", "roles: [LRBSuperUsr]")
    problems = _problems(policy_dir)
    assert any(
        p.startswith("realm.yaml: second_factor.roles: 'LRBSuperUsr' is neither an LRS role")
        for p in problems
    ), problems


def test_the_every_lrs_user_switch_must_be_true_or_false(policy_dir: Path) -> None:
    _edit(policy_dir / "realm.yaml", "every_lrs_user: false", "every_lrs_user: sometimes")
    problems = _problems(policy_dir)
    assert any(p.startswith("realm.yaml: second_factor.every_lrs_user: must be") for p in problems)


def test_a_missing_guide_role_is_refused(policy_dir: Path) -> None:
    _edit(policy_dir / "roles.yaml", "  LearnerRecord:", "  LearnerRecords:")
    assert any(p.startswith("roles.yaml: roles:") for p in _problems(policy_dir))


def test_a_validator_message_key_needs_its_text(policy_dir: Path) -> None:
    _edit(policy_dir / "user-profile.yaml", "error-message: lrsTelephone", "error-message: nope")
    assert any("message key 'nope'" in p for p in _problems(policy_dir))


def test_a_generic_word_must_be_lower_case_letters(policy_dir: Path) -> None:
    names = policy_dir / "generic-names.yaml"
    names.write_text(names.read_text() + "\n# appended\n")
    text = names.read_text().replace("generic_words:", "generic_words:\n  - User 1", 1)
    names.write_text(text)
    assert any(p.startswith("generic-names.yaml: generic_words[0]") for p in _problems(policy_dir))


def test_broken_yaml_names_the_line(policy_dir: Path) -> None:
    (policy_dir / "roles.yaml").write_text("roles: [unclosed\n")
    assert any(p.startswith("roles.yaml: line ") for p in _problems(policy_dir))


def test_demo_organisations_load_and_kinds_grant_their_entitlements() -> None:
    policy = load_policy(config_dir())
    orgs = {
        o.id: o
        for o in load_organisations(PROJECT_ROOT / "realm-config/demo/organisations.yaml", policy)
    }
    assert "awarding-body" in orgs["fenwick-awards"].entitlements
    assert orgs["hmp-learning-partners"].entitlements == frozenset({"olass"})


def test_an_organisation_of_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    policy = load_policy(config_dir())
    data = tmp_path / "orgs.yaml"
    data.write_text("organisations:\n  - {id: x-college, name: X College, kind: castle}\n")
    with pytest.raises(ConfigError) as refused:
        load_organisations(data, policy)
    assert any(p.path.startswith("organisations[0].") for p in refused.value.problems)


def test_the_awarding_body_entitlement_is_refused_for_a_college(tmp_path: Path) -> None:
    policy = load_policy(config_dir())
    data = tmp_path / "orgs.yaml"
    data.write_text(
        "organisations:\n"
        "  - {id: x-college, name: X College, kind: college, entitlements: [awarding-body]}\n"
    )
    with pytest.raises(ConfigError):
        load_organisations(data, policy)


def test_a_kind_offering_the_awarding_body_entitlement_as_an_extra_is_refused(
    policy_dir: Path,
) -> None:
    _edit(
        policy_dir / "roles.yaml",
        "    may_have: [olass, plr]",
        "    may_have: [olass, awarding-body]",
    )
    assert any(
        p.startswith("roles.yaml: organisation_kinds.college") for p in _problems(policy_dir)
    )


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("realm.yaml", b"\xff\xfe", "realm.yaml: (top): not UTF-8 text"),
        ("realm.yaml", b"a: 2026-13-01\n", "realm.yaml: (top): not valid YAML: month"),
        ("realm.yaml", b"[" * 5000, "realm.yaml: (top): not valid YAML: nested too deeply"),
        ("realm.yaml", b"1: a\nb: c\n", "realm.yaml: 1: unknown key"),
        (
            "realm.yaml",
            b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"{k}: &{k} [{', '.join([f'*{j}'] * 10)}]\n".encode()
                for j, k in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "realm.yaml: (top): more than 100000 values once aliases are expanded",
        ),
        (
            "user-profile.yaml",
            b"unmanaged_attribute_policy: [a]\nattributes: []\n",
            "user-profile.yaml: unmanaged_attribute_policy: must be one of",
        ),
        (
            "user-profile.yaml",
            b"attributes:\n - {name: x, 1: y}\n",
            "user-profile.yaml: attributes[0].1: unknown attribute key",
        ),
        (
            "user-profile.yaml",
            b"attributes:\n - {name: x, validations: {length: {error-message: [a]}}}\n",
            "user-profile.yaml: attributes[0].validations.length.error-message: message key",
        ),
        (
            "user-profile.yaml",
            b"attributes:\n - {name: x, validations: {pattern: {pattern: 'a{99999999999}'}}}\n",
            "user-profile.yaml: attributes[0].validations.pattern: not a valid pattern",
        ),
        ("agreement/agreement.yaml", b"'", "agreement/agreement.yaml: line 1, column 2:"),
        ("agreement/v1.md", b"\xff", "agreement/agreement.yaml: versions.1: 'v1.md' is not UTF-8"),
    ],
)
def test_any_file_content_is_refused_with_file_and_path_never_a_traceback(
    policy_dir: Path, name: str, content: bytes, where: str
) -> None:
    (policy_dir / name).write_bytes(content)
    problems = _problems(policy_dir)
    assert any(p.startswith(where) for p in problems), problems


def test_environment_references_are_replaced_in_linear_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lrs_keycloak.config import interpolate

    monkeypatch.setenv("LRS_X", "x")
    monkeypatch.delenv("LRS_Y", raising=False)
    assert interpolate("${LRS_X}/${LRS_Y:-d}/${LRS_Y}/${LRS_Y:-}/${x}") == "x/d///${x}"
    assert interpolate("${LRS_Y:-a\n}") == "${LRS_Y:-a\n}"  # a default ends on its line
    unclosed = "${LRS_Y:-" * 20_000  # was quadratic: rescanned for "}" from each one
    assert interpolate(unclosed) == unclosed
