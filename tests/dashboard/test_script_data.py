"""Admin-editable names reach the dashboard's chart data serialised, never pasted: a name
holding </script><script> cannot end the data block and run."""

from __future__ import annotations

import json
import re

from routing.models import Agency, Category
from tests.dashboard.scenario import DAY, NOW, at
from tests.dashboard.test_views import PERIOD, city, logged_in  # noqa: F401

HOSTILE = "Roads</script><script>alert(document.cookie)</script>"


def test_a_hostile_name_stays_inside_the_chart_data(pg_session, pg_client, city) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    for model in (Category, Agency):
        for row in pg_session.query(model).all():
            row.name_en = HOSTILE
            pg_session.add(row)
    pg_session.flush()
    from dashboard import rollup

    rollup.rebuild_all(session=pg_session, now=NOW)
    client = logged_in(pg_session, pg_client)
    with at(NOW):
        page = client.get(f"/dashboard?{PERIOD}&lang=en").text
    assert "<script>alert(" not in page
    block = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S
    )
    assert block is not None
    assert HOSTILE in json.dumps(json.loads(block.group(1)), ensure_ascii=False)
    assert DAY  # the scenario's day is the one shown
