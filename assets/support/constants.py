"""Names shared by every asset group: owner, kinds and the event partitions."""

import dagster as dg

OWNER = "team:discovery"

# The platform's first day of events. Real data whose history starts earlier moves this date back;
# the generator starts here by default.
FIRST_EVENT_DAY = "2026-09-01"

EVENT_PARTITIONS = dg.DailyPartitionsDefinition(start_date=FIRST_EVENT_DAY)
