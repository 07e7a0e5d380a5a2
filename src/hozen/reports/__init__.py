"""Reports: timeliness, burden and cost (R12), the yearly report to the Diet, due dates,
and their charts and exports (CSV, PDF, JSON)."""
