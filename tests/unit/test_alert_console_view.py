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
    said, seen = view.announce([old, resolved], None, "en", "Asia/Shanghai")
    assert said is None and seen == ["a1"]  # what is firing is on screen already; a resolved one is not news
    assert view.announce([old], seen, "en", "Asia/Shanghai") == (None, seen)
    new1, new2 = alert(2, now - 1_000), alert(3, now)
    said, seen2 = view.announce([old, new2, new1], seen, "en", "Asia/Shanghai")
    assert said is not None and seen2 == ["a1", "a2", "a3"]
    assert said.startswith("New alert: Red") and "Station 3" in said and "310 / 300" in said and "1 more" in said
    said, _ = view.announce([old, new1], seen, "zh", "Asia/Shanghai")
    assert said is not None and "站2" in said and "另有" not in said
    assert view.announce([old, new1, new2], seen2, "zh", "Asia/Shanghai") == (None, seen2)


def test_an_alert_committed_late_with_an_earlier_time_is_still_read_out() -> None:
    """Evaluators in several processes: an alert stamped before one already seen may be committed after it."""
    now = int(time.time() * 1000)
    later, earlier = alert(1, now), alert(2, now - 5_000)
    _, seen = view.announce([later], [], "en", "Asia/Shanghai")
    said, _ = view.announce([later, earlier], seen, "en", "Asia/Shanghai")
    assert said is not None and "Station 2" in said
    said, seen = view.announce([earlier], ["a1", "a2"], "en", "Asia/Shanghai")  # one resolved and fires again
    assert said is None and seen == ["a2"]
    assert view.announce([earlier, later], seen, "en", "Asia/Shanghai")[0] is not None
