"""Response-time engine, business hours, reports and exports.

The public API (stable; the dashboard and the CLI depend on these names):

- :func:`response_time_report`, :func:`kpis`, :func:`public_badge`,
  :func:`hour_of_week`, :func:`frt_distribution`, :func:`waiting_conversations`
  (``metrics.reports``)
- :func:`sla_state`, :func:`recompute_conversations`, :func:`recompute_brand`,
  :func:`recompute_all` (``metrics.engine``)
- :func:`export_conversations`, :func:`export_conversations_to_bytes`,
  :func:`export_benchmarks`, :func:`export_benchmarks_to_bytes`,
  :func:`neutralise_formula` (``metrics.exports``, defined in ``replywatch.untrusted``)
- :func:`outcome_report`, :func:`recovery_by_response_time`,
  :func:`outcome_conversations` (``metrics.outcome_reports``) and
  :func:`refresh_outcomes` (``metrics.outcomes``)
- :class:`BusinessCalendar`, :func:`validate_settings` (``metrics.business_hours``)
- :func:`very_responsive` (``metrics.messenger_badge``: Facebook's own
  "Very responsive to messages" rule per page)

Definitions: ``docs/metrics.md``.
"""

from replywatch.metrics.business_hours import BusinessCalendar, validate_settings
from replywatch.metrics.engine import (
    recompute_all,
    recompute_brand,
    recompute_conversations,
    sla_state,
)
from replywatch.metrics.exports import (
    EXPORT_FORMATS,
    export_benchmarks,
    export_benchmarks_to_bytes,
    export_conversations,
    export_conversations_to_bytes,
    neutralise_formula,
)
from replywatch.metrics.messenger_badge import very_responsive
from replywatch.metrics.outcome_reports import (
    outcome_conversations,
    outcome_report,
    recovery_by_response_time,
)
from replywatch.metrics.outcomes import refresh_outcomes
from replywatch.metrics.reports import (
    frt_distribution,
    hour_of_week,
    kpis,
    public_badge,
    response_time_report,
    waiting_conversations,
)

__all__ = [
    "EXPORT_FORMATS",
    "BusinessCalendar",
    "export_benchmarks",
    "export_benchmarks_to_bytes",
    "export_conversations",
    "export_conversations_to_bytes",
    "frt_distribution",
    "hour_of_week",
    "kpis",
    "neutralise_formula",
    "outcome_conversations",
    "outcome_report",
    "public_badge",
    "recompute_all",
    "recompute_brand",
    "recompute_conversations",
    "recovery_by_response_time",
    "refresh_outcomes",
    "response_time_report",
    "sla_state",
    "validate_settings",
    "very_responsive",
    "waiting_conversations",
]
