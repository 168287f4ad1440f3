"""People who sign in for a member: creation, disabling, lookup and password sign-in."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..exceptions import Conflict, Invalid
from ..members import signals
from ..members.models import Member
from ..security import burn_password_check, check_password, hash_password
from .models import ROLES, User

PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # argon2 accepts more, but nobody types this much; bounds the hashing cost


def normalize_email(email: str) -> str:
    """E-mail addresses are stored and looked up lower-cased."""
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        return f"Must be at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Must be at most {PASSWORD_MAX} characters."
    return None


def get_by_email(*, session: Session, email: str) -> User | None:
    """The user with this e-mail (any case), or None."""
    # PostgreSQL refuses NUL in text parameters outright: such an address cannot exist anyway.
    if not isinstance(email, str) or not email.strip() or "\x00" in email:
        return None
    return session.scalars(select(User).where(User.email == normalize_email(email))).first()


def get_all(*, session: Session, member_id: str | None = None) -> list[User]:
    """Every user, optionally of one member, oldest first."""
    stmt = select(User).order_by(User.created_at, User.email)
    if member_id:
        stmt = stmt.where(User.member_id == member_id)
    return list(session.scalars(stmt))


def create_user(*, session: Session, member: Member, email: str, password: str, role: str = "staff") -> User:
    """A new person for a member; the password is stored only as an argon2 hash."""
    errors = []
    if role not in ROLES:
        errors.append({"pointer": "/role", "detail": f"Must be one of: {', '.join(ROLES)}."})
    problem = password_problem(password)
    if problem:
        errors.append({"pointer": "/password", "detail": problem})
    if errors:
        raise Invalid(errors)
    if member.status == "terminated":
        raise Conflict(f"Member {member.id} is terminated; it cannot have new users.")
    email = normalize_email(email)
    if get_by_email(session=session, email=email) is not None:
        raise Conflict(f"A user with the e-mail {email} already exists.")
    user = User(member=member, email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def disable_user(*, session: Session, user: User) -> dict[str, int]:
    """Stop a person from signing in; returns what reacting features did (their tokens revoked)."""
    if user.disabled_at is not None:
        raise Conflict(f"The user {user.email} is already disabled.")
    user.disabled_at = utcnow()
    session.flush()
    return signals.send(signals.user_disabled, "disable", session=session, user=user)


def on_member_status_changed(action: str, *, session: Session, member: Member) -> dict[str, int]:
    """A terminated member's people can no longer sign in."""
    if action != "terminate":
        return {}
    return {"disabled_users": disable_member_users(session=session, member_id=member.id)}


def disable_member_users(*, session: Session, member_id: str) -> int:
    """Disable every enabled user of a member; returns how many."""
    result = session.execute(
        update(User)
        .where(User.member_id == member_id, User.disabled_at.is_(None))
        .values(disabled_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user these credentials belong to if they may sign in now, else None.

    Always spends the time of one password check, so the answer does not reveal whether the
    e-mail exists, is disabled, or belongs to an inactive member.
    """
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:
        burn_password_check("")
        return None
    user = get_by_email(session=session, email=email)
    if user is None:
        burn_password_check(password)
        return None
    if not check_password(password, user.password_hash):
        return None
    if user.disabled_at is not None or user.member.status != "active":
        return None
    return user
