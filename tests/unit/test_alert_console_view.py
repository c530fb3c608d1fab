"""The alert console's live region (issue #21, WCAG 4.1.3 status messages): views.alerts.announce."""

from __future__ import annotations

import time
from typing import Any

from views import alerts as view


def alert(i: int, fired_ms: int, state: str = "firing") -> dict[str, Any]:
    return {"id": f"a{i}", "state": state, "level": "red", "entity_id": f"S{i}", "entity_name": f"站{i}",
            "entity_name_en": f"Station {i}", "rule_name_zh": "站点AQI超限", "rule_name_en": "Station AQI above limit",
            "value": 310, "threshold": 300, "fired_ms": fired_ms}


def test_a_new_alert_is_read_out_once_and_nothing_on_the_first_look() -> None:
    now = int(time.time() * 1000)
    old, resolved = alert(1, now - 60_000), alert(9, now, state="resolved")
    said, mark = view.announce([old, resolved], None, "en", "Asia/Shanghai")
    assert said is None and mark == now - 60_000  # what is firing is on screen already; a resolved one is not news
    assert view.announce([old], mark, "en", "Asia/Shanghai") == (None, mark)
    new1, new2 = alert(2, now - 1_000), alert(3, now)
    said, mark2 = view.announce([old, new2, new1], mark, "en", "Asia/Shanghai")
    assert said is not None and mark2 == now
    assert said.startswith("New alert: Red") and "Station 3" in said and "310 / 300" in said and "1 more" in said
    said, _ = view.announce([old, new1], mark, "zh", "Asia/Shanghai")
    assert said is not None and "站2" in said and "另有" not in said
    assert view.announce([old, new1, new2], mark2, "zh", "Asia/Shanghai") == (None, mark2)
