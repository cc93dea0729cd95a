"""The hall manager's login: a 值班长 (supervisor) or an administrator, never a window
clerk. Textual-free: the `manager` command logs in with it before its screen opens, and
the screen's own login form (a browser through `manager-web`, or a terminal without
WINDOW_TUI_PASSWORD) uses the same function, so both refuse the same people in the same
words."""

from __future__ import annotations

from window_tui.client import PlatformClient, PlatformRejected, PlatformUnavailable
from window_tui.shift_login import ShiftLogin

MANAGER_ROLES = ("supervisor", "admin")


class ManagerLoginRefused(Exception):
    """One Chinese line: why this login cannot open the manager's screen; `wrong_person`
    when the password was right but the person may not manage the hall."""

    def __init__(self, message: str, *, wrong_person: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.wrong_person = wrong_person


async def manager_login(server: str, clerk: str, password: str) -> ShiftLogin:
    """Log in at the platform: the shift login, which logs in again by itself past the
    platform's 12-hour session. Raises ManagerLoginRefused."""
    client = PlatformClient(server)
    try:
        answer = await client.login(clerk, password, None, device="manager")
    except (PlatformUnavailable, PlatformRejected) as exc:
        raise ManagerLoginRefused(f"登录失败：{exc.message}") from None
    finally:
        await client.aclose()
    if answer["clerk"]["role"] not in MANAGER_ROLES:
        raise ManagerLoginRefused(f"工号 {clerk} 不是值班长或管理员，不能打开大厅管理", wrong_person=True)
    return ShiftLogin(clerk, password, None, device="manager", token=client.token,
                      clerk_name=answer["clerk"].get("name", ""), hall_code=answer.get("hall_code") or "")
