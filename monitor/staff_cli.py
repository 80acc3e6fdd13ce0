"""``kratom-monitor user ...``: staff accounts from the command line.

- ``user add EMAIL --role ROLE`` asks for the password twice; with ``--link`` it prints
  a set-password link instead (valid 24 hours, works once).
- ``user list``, ``user disable EMAIL``, ``user enable EMAIL``, ``user role EMAIL ROLE``,
  ``user link EMAIL`` (a new set-password link, for a forgotten password).

Changes are audited with no acting user (the command line). Bad input prints one line
and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlmodel import Session

from alerts import staff, staff_accounts
from alerts.models import StaffUser
from alerts.staff import ROLES, StaffError
from monitor import db, output
from monitor.settings import Settings


class _RefusedError(Exception):
    """Bad input: printed as one line, exit status 2."""


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = db.make_engine(settings.database_url)
    try:
        db.require_current(engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, email: str) -> StaffUser:
    user = staff_accounts.find(session, email)
    if user is None:
        raise _RefusedError(f"no staff user {email.strip().lower()}")
    return user


def _link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/staff/set-password/{token}"


def _ask_password(email: str) -> str:
    first = getpass.getpass(f"Password for {email}: ")
    staff.check_password(first, email=email)
    if getpass.getpass("Repeat the password: ") != first:
        raise _RefusedError("the passwords do not match")
    return first


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    if args.link:
        settings = settings.with_secret(demo=False)  # links are signed with the web's secret
    email = staff.normalize_email(args.email)
    now = datetime.now(UTC)
    with _session(settings) as session:
        if staff_accounts.find(session, email) is not None:
            raise _RefusedError(f"{email} already has a staff account")
        password = None if args.link else _ask_password(email)
        user = staff_accounts.add_user(
            session, email=email, role=args.role, password=password, by=None, now=now
        )
        token = (
            staff_accounts.password_link(session, settings.secret, user, by=None, now=now)
            if args.link
            else None
        )
        session.commit()
    print(f"added {email} ({args.role})")
    if token is not None:
        print(f"set-password link (valid 24 hours, works once): {_link(settings, token)}")
    return 0


def cmd_link(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings.with_secret(demo=False)
    now = datetime.now(UTC)
    with _session(settings) as session:
        user = _user(session, args.email)
        token = staff_accounts.password_link(session, settings.secret, user, by=None, now=now)
        session.commit()
    print(f"set-password link (valid 24 hours, works once): {_link(settings, token)}")
    return 0


def _status(user: StaffUser, now: datetime) -> str:
    if user.disabled:
        return "disabled"
    if staff.is_locked(user, now):
        return "locked"
    return "active" if user.password_hash else "no password yet"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    with _session(settings) as session:
        users = staff_accounts.all_users(session)
    if not users:
        print("no staff users; add one with `kratom-monitor user add EMAIL --role admin`")
        return 0
    rows = [
        (u.email, u.role, _status(u, now), _when(u.last_login_at), _when(u.created_at))
        for u in users
    ]
    print(output.table(("EMAIL", "ROLE", "STATUS", "LAST SIGN-IN", "CREATED"), rows))
    return 0


def _change(settings: Settings, email: str, change: Callable[[Session, StaffUser], bool]) -> bool:
    with _session(settings) as session:
        user = _user(session, email)
        changed = change(session, user)
        session.commit()
    return changed


def cmd_disable(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    changed = _change(
        settings, args.email,
        lambda s, u: staff_accounts.set_disabled(s, u, True, by=None, now=now),
    )  # fmt: skip
    print(f"{args.email.strip().lower()}: {'disabled' if changed else 'already disabled'}")
    return 0


def cmd_enable(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    changed = _change(
        settings, args.email,
        lambda s, u: staff_accounts.set_disabled(s, u, False, by=None, now=now),
    )  # fmt: skip
    print(f"{args.email.strip().lower()}: {'enabled' if changed else 'already enabled'}")
    return 0


def cmd_role(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    changed = _change(
        settings, args.email,
        lambda s, u: staff_accounts.change_role(s, u, args.role, by=None, now=now),
    )  # fmt: skip
    print(f"{args.email.strip().lower()}: {'now' if changed else 'already'} {args.role}")
    return 0


def _refusing(handler: Callable[[Settings, argparse.Namespace], int]) -> Callable[..., int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return handler(settings, args)
        except (_RefusedError, StaffError) as exc:
            print(f"kratom-monitor: error: {exc}", file=sys.stderr)
            return 2

    return run


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``user`` subcommand (and its own subcommands) to the CLI's subparsers."""
    parser = commands.add_parser("user", help="staff dashboard accounts")
    users = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    add = users.add_parser("add", help="add a staff user (asks for the password twice)")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--link", action="store_true", help="print a set-password link instead of asking"
    )
    add.set_defaults(func=_refusing(cmd_add))

    users.add_parser("list", help="every staff user").set_defaults(func=_refusing(cmd_list))

    for name, handler, what in (
        ("disable", cmd_disable, "disable a staff user and end their sessions"),
        ("enable", cmd_enable, "enable a disabled staff user"),
        ("link", cmd_link, "print a new set-password link for a staff user"),
    ):
        command = users.add_parser(name, help=what)
        command.add_argument("email", metavar="EMAIL")
        command.set_defaults(func=_refusing(handler))

    role = users.add_parser("role", help="change a staff user's role")
    role.add_argument("email", metavar="EMAIL")
    role.add_argument("role", metavar="ROLE", choices=ROLES, help=" | ".join(ROLES))
    role.set_defaults(func=_refusing(cmd_role))
