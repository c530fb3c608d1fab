"""Recovery commands for operators with shell access: `python -m auth passwd <user>` / `python -m auth kiosk <name>`."""

from __future__ import annotations

import secrets
import sys

from config.settings import Settings
from store import audit, users
from store.client import connect


def main(argv: list[str]) -> int:
    """Reset a password (random, printed once) or issue a kiosk link, against REDIS_URL."""
    settings = Settings()
    if len(argv) != 2 or argv[0] not in ("passwd", "kiosk") or not settings.redis_url:
        print("usage: REDIS_URL=... python -m auth passwd <username> | kiosk <wall name>", file=sys.stderr)
        return 2
    r = connect(settings.redis_url)
    try:
        if argv[0] == "passwd":
            password = secrets.token_urlsafe(12)
            users.update_user(r, argv[1], password=password, disabled=False)
            audit.record(r, "user.password_reset", "cli", username=argv[1])
            print(f"new password for {argv[1]}: {password}")
        else:
            token, kid = users.issue_kiosk(r, argv[1], created_by="cli")
            audit.record(r, "kiosk.issue", "cli", name=argv[1], kiosk_id=kid)
            print(f"kiosk link: http://{settings.host}:{settings.port}/wall?kiosk={token}")
    except KeyError:
        print(f"no user {argv[1]!r}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
