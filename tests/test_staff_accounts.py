"""Staff accounts: role rules, password policy and hashing, lockout, links, the CLI."""

from __future__ import annotations

import getpass
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlmodel import Session, select

from alerts import audit, staff, staff_accounts, tokens
from alerts.models import AuditEntry, StaffUser
from alerts.staff import StaffError
from monitor.cli import main

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "a-test-secret-of-enough-length"
PASSWORD = "correct horse battery"
WEAK = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # fast, and "outdated"


def _user(**fields: object) -> StaffUser:
    values: dict[str, object] = {
        "email": "ann@example.org", "role": "analyst", "created_at": NOW,
        "session_nonce": "n1", "password_hash": staff.hash_password(PASSWORD, hasher=WEAK),
    }  # fmt: skip
    values.update(fields)
    return StaffUser(**values)


def _actions(session: Session) -> list[str]:
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
    return [entry.action for entry in entries]


# --- rules ----------------------------------------------------------------------------


def test_roles_rank_viewer_below_analyst_below_admin() -> None:
    assert staff.at_least("admin", "analyst") and staff.at_least("analyst", "analyst")
    assert not staff.at_least("viewer", "analyst") and not staff.at_least("root", "viewer")
    assert [r for r in staff.ROLES if staff.may(r, "read")] == ["viewer", "analyst", "admin"]
    assert [r for r in staff.ROLES if staff.may(r, "triage")] == ["analyst", "admin"]
    assert [r for r in staff.ROLES if staff.may(r, "manage_users")] == ["admin"]
    assert [r for r in staff.ROLES if staff.may(r, "manage_subscribers")] == ["admin"]


def test_an_unknown_role_is_refused_by_name() -> None:
    with pytest.raises(StaffError, match="unknown role 'owner'"):
        staff.check_role("owner")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pass1", "at least 12 characters"),
        ("Ann@Example.org", "not be your email"),
        ("  ann@example.org ", "not be your email"),
        ("ann.longname", None),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_the_password_policy_wants_twelve_characters_that_are_not_the_email(
    password: str, problem: str | None
) -> None:
    if problem is None:
        staff.check_password(password, email="ann@example.org")
        staff.check_password("ann.longname@x.org", email="ann.longname@example.org")
        with pytest.raises(StaffError, match="not be your email"):
            staff.check_password("ann.longname", email="ann.longname@example.org")
        return
    with pytest.raises(StaffError, match=problem):
        staff.check_password(password, email="ann@example.org")


def test_passwords_are_stored_as_argon2id_and_only_the_right_one_verifies() -> None:
    stored = staff.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert staff.verify_password(stored, PASSWORD) == staff.Verified(True, None)
    assert not staff.verify_password(stored, PASSWORD + "!").ok
    assert not staff.verify_password(None, PASSWORD).ok
    assert not staff.verify_password("not a hash", PASSWORD).ok


def test_a_hash_with_outdated_parameters_is_replaced_when_the_password_is_right() -> None:
    user = _user()
    old = user.password_hash
    assert staff.attempt(user, PASSWORD, now=NOW) == staff.Attempt("ok", rehashed=True)
    assert user.password_hash != old and "m=65536,t=3" in str(user.password_hash)
    assert staff.attempt(user, PASSWORD, now=NOW) == staff.Attempt("ok", rehashed=False)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes() -> None:
    user = _user()
    outcomes = [staff.attempt(user, "wrong password!", now=NOW, hasher=WEAK) for _ in range(5)]
    assert [o.outcome for o in outcomes] == ["wrong_password"] * 5
    assert [o.locked_now for o in outcomes] == [False] * 4 + [True]
    assert user.locked_until == NOW + timedelta(minutes=15) and user.failed_logins == 0
    # Locked: even the right password fails, and the attempt is not counted.
    later = NOW + timedelta(minutes=14, seconds=59)
    assert staff.attempt(user, PASSWORD, now=later, hasher=WEAK).outcome == "locked"
    assert user.failed_logins == 0 and user.last_login_at is None
    after = NOW + timedelta(minutes=15)
    assert staff.attempt(user, PASSWORD, now=after, hasher=WEAK).ok
    assert (user.last_login_at, user.locked_until) == (after, None)


def test_a_right_password_resets_the_count_of_wrong_ones() -> None:
    user = _user()
    for _ in range(4):
        staff.attempt(user, "wrong password!", now=NOW, hasher=WEAK)
    assert user.failed_logins == 4
    assert staff.attempt(user, PASSWORD, now=NOW, hasher=WEAK).ok
    assert user.failed_logins == 0
    for _ in range(4):
        assert not staff.attempt(user, "wrong password!", now=NOW, hasher=WEAK).locked_now
    assert user.locked_until is None


def test_disabled_accounts_and_accounts_without_a_password_cannot_sign_in() -> None:
    assert staff.attempt(_user(disabled=True), PASSWORD, now=NOW, hasher=WEAK).outcome == (
        "disabled"
    )
    assert staff.attempt(_user(password_hash=None), "", now=NOW, hasher=WEAK).outcome == (
        "no_password"
    )


# --- stored accounts --------------------------------------------------------------------


def test_sign_in_audits_each_failure_the_lockout_and_the_success(engine: Engine) -> None:
    with Session(engine) as session:
        staff_accounts.add_user(
            session, email="Ann@Example.org", role="viewer", password=PASSWORD, by=None, now=NOW
        )
        session.commit()
        for minute in range(5):
            failed = staff_accounts.sign_in(
                session, email="ann@example.org", password="wrong password!",
                now=NOW + timedelta(minutes=minute), ip="192.0.2.1", hasher=WEAK,
            )  # fmt: skip
            assert failed is None
        assert staff_accounts.sign_in(
            session, email="nobody@example.org", password=PASSWORD, now=NOW, ip="192.0.2.1"
        ) is None  # fmt: skip
        session.commit()
        unlocked = NOW + timedelta(minutes=4 + 15)
        user = staff_accounts.sign_in(
            session, email=" ANN@example.org", password=PASSWORD, now=unlocked, ip="192.0.2.1"
        )
        session.commit()
        assert user is not None and user.email == "ann@example.org"
        assert user.last_login_at == unlocked
        assert _actions(session) == [
            "user_add", *["sign_in_failed"] * 5, "lockout", "sign_in_failed", "sign_in",
        ]  # fmt: skip
        lockout = audit.recent(session, action="lockout")[0]
        assert lockout.after == {"locked_until": (NOW + timedelta(minutes=19)).isoformat()}
        assert lockout.user_id == user.id and lockout.ip == "192.0.2.1"
        failures = audit.recent(session, action="sign_in_failed")
        assert [(f.target, f.after) for f in failures if f.user_id is None] == [
            ("email:nobody@example.org", {"reason": "unknown_email"})
        ]
        counts = [f.after["failed_logins"] for f in failures if f.user_id and f.after]
        assert counts == [5, 4, 3, 2, 1]


def test_the_last_enabled_admin_can_be_neither_demoted_nor_disabled(engine: Engine) -> None:
    with Session(engine) as session:
        root = staff_accounts.add_user(session, email="root@example.org", role="admin", by=None,
                                       now=NOW)  # fmt: skip
        with pytest.raises(StaffError, match="only admin"):
            staff_accounts.change_role(session, root, "viewer", by=None, now=NOW)
        with pytest.raises(StaffError, match="only admin"):
            staff_accounts.set_disabled(session, root, True, by=None, now=NOW)
        other = staff_accounts.add_user(session, email="b@example.org", role="admin", by=root,
                                        now=NOW)  # fmt: skip
        nonce = root.session_nonce
        assert staff_accounts.set_disabled(session, root, True, by=other, now=NOW)
        assert root.session_nonce != nonce  # its sessions end
        assert not staff_accounts.set_disabled(session, root, True, by=other, now=NOW)
        assert staff_accounts.change_role(session, root, "analyst", by=other, now=NOW)
        session.commit()
        entry = audit.recent(session, action="user_role")[0]
        assert (entry.user_id, entry.target) == (other.id, f"staff_user:{root.id}")
        assert (entry.before, entry.after) == ({"role": "admin"}, {"role": "analyst"})


def test_a_set_password_link_works_once_and_for_24_hours(engine: Engine) -> None:
    with Session(engine) as session:
        user = staff_accounts.add_user(
            session, email="new@example.org", role="viewer", by=None, now=NOW
        )
        token = staff_accounts.password_link(session, SECRET, user, by=None, now=NOW)
        session.commit()
        late = NOW + timedelta(hours=24, seconds=1)
        with pytest.raises(tokens.TokenError, match="expired"):
            staff_accounts.from_password_link(session, SECRET, token, now=late)
        with pytest.raises(tokens.TokenError):
            staff_accounts.from_password_link(session, "another-secret-value", token, now=NOW)
        found = staff_accounts.from_password_link(session, SECRET, token, now=NOW)
        with pytest.raises(StaffError, match="12 characters"):
            staff_accounts.set_password(session, found, "too short", now=NOW)
        staff_accounts.set_password(session, found, PASSWORD, now=NOW)
        session.commit()
        with pytest.raises(tokens.TokenError, match="no longer valid"):
            staff_accounts.from_password_link(session, SECRET, token, now=NOW)
        assert staff.verify_password(found.password_hash, PASSWORD).ok


# --- command line -----------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> str:
    for name in list(os.environ):
        if name.startswith("KM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KM_DATABASE_URL", database_url)
    monkeypatch.setenv("KM_SECRET", SECRET)
    monkeypatch.setenv("KM_PUBLIC_URL", "https://alerts.example.test")
    return database_url


def _typed(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Answer getpass prompts (the terminal) with ``answers``; returns the prompts shown."""
    prompts: list[str] = []
    queue = list(answers)

    def fake(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        return queue.pop(0)

    monkeypatch.setattr(getpass, "getpass", fake)
    return prompts


def test_user_add_asks_for_the_password_twice_and_the_user_can_sign_in(
    env: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = _typed(monkeypatch, PASSWORD, PASSWORD)
    assert main(["user", "add", "Boss@Example.org", "--role", "admin"]) == 0
    assert prompts == ["Password for boss@example.org: ", "Repeat the password: "]
    assert capsys.readouterr().out == "added boss@example.org (admin)\n"
    with Session(engine) as session:
        user = staff_accounts.sign_in(session, email="boss@example.org", password=PASSWORD,
                                      now=NOW)  # fmt: skip
        assert user is not None and user.role == "admin"
        entry = audit.recent(session, action="user_add")[0]
        assert entry.user_id is None and entry.after == {
            "email": "boss@example.org", "role": "admin", "disabled": False, "password_set": True
        }  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ((PASSWORD, PASSWORD + "x"), "the passwords do not match"),
        (("short one",), "the password must have at least 12 characters"),
        (("boss@example.org",), "the password must not be your email address"),
    ],
)
def test_user_add_refuses_a_bad_password_with_one_line_and_status_2(
    env: str,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    typed: tuple[str, ...],
    message: str,
) -> None:
    _typed(monkeypatch, *typed)
    assert main(["user", "add", "boss@example.org", "--role", "admin"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kratom-monitor: error: ") and err.endswith(f"{message}\n")
    with Session(engine) as session:
        assert session.exec(select(StaffUser)).all() == []


def test_user_add_with_link_prints_a_set_password_link_instead_of_asking(
    env: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = _typed(monkeypatch)
    assert main(["user", "add", "new@example.org", "--role", "viewer", "--link"]) == 0
    out = capsys.readouterr().out
    assert prompts == []
    found = re.search(r"https://alerts\.example\.test/staff/set-password/(\S+)$", out)
    assert found, out
    with Session(engine) as session:
        user = staff_accounts.from_password_link(session, SECRET, found.group(1), now=NOW)
        assert (user.email, user.password_hash) == ("new@example.org", None)


def test_user_list_role_and_disable_change_accounts_and_say_so(
    env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _typed(monkeypatch, PASSWORD, PASSWORD)
    assert main(["user", "add", "boss@example.org", "--role", "admin"]) == 0
    assert main(["user", "add", "ann@example.org", "--role", "viewer", "--link"]) == 0
    capsys.readouterr()
    assert main(["user", "role", "ANN@example.org", "analyst"]) == 0
    assert main(["user", "role", "ann@example.org", "analyst"]) == 0
    assert main(["user", "disable", "ann@example.org"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ann@example.org: now analyst",
        "ann@example.org: already analyst",
        "ann@example.org: disabled",
    ]
    assert main(["user", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["EMAIL", "ROLE", "STATUS", "LAST", "SIGN-IN", "CREATED"]
    assert lines[2].split()[:4] == ["ann@example.org", "analyst", "disabled", "-"]
    assert lines[3].split()[:3] == ["boss@example.org", "admin", "active"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "not-an-address", "--role", "viewer", "--link"], "does not look like"),
        (["user", "add", "boss@example.org", "--role", "viewer", "--link"], "already has"),
        (["user", "disable", "nobody@example.org"], "no staff user nobody@example.org"),
        (["user", "role", "nobody@example.org", "admin"], "no staff user nobody@example.org"),
        (["user", "disable", "boss@example.org"], "only admin"),
        (["user", "role", "boss@example.org", "viewer"], "only admin"),
    ],
)
def test_bad_user_commands_print_one_line_and_exit_2(
    env: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    _typed(monkeypatch, PASSWORD, PASSWORD)
    assert main(["user", "add", "boss@example.org", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kratom-monitor: error: ") and message in err
    assert err.count("\n") == 1


def test_an_unknown_role_on_the_command_line_is_a_usage_error(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["user", "add", "x@example.org", "--role", "owner"])
    assert exited.value.code == 2
    assert "invalid choice: 'owner'" in capsys.readouterr().err
