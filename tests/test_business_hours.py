"""Business-hours arithmetic, checked against hand-worked examples (expected
instants are written out in UTC by hand, not computed with the code)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from replywatch.metrics.business_hours import BusinessCalendar

WEEKDAYS_9_17 = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
WEEKDAYS_9_18_SAT = {
    **{d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "sat": ["09:00-13:00"],
}


def ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_default_is_24_7_utc_with_60_minute_sla():
    cal = BusinessCalendar.from_settings(None, None)
    assert cal.always_open and cal.timezone == "UTC"
    assert cal.sla_first_response_seconds == 3600
    assert cal.business_seconds(ts(2024, 5, 11, 3), ts(2024, 5, 11, 5)) == 7200


def test_friday_1645_with_30_minute_sla_breaches_monday_0915():
    cal = BusinessCalendar.from_settings(
        "UTC", {"business_hours": WEEKDAYS_9_17, "sla": {"first_response_minutes": 30}}
    )
    friday = ts(2024, 5, 10, 16, 45)  # 2024-05-10 is a Friday
    due = cal.add_business_seconds(friday, cal.sla_first_response_seconds)
    assert due == ts(2024, 5, 13, 9, 15)
    # and the same wait measured back is exactly the SLA
    assert cal.business_seconds(friday, due) == 30 * 60


def test_friday_example_in_sao_paulo_local_time():
    cal = BusinessCalendar.from_settings(
        "America/Sao_Paulo",
        {"business_hours": WEEKDAYS_9_17, "sla": {"first_response_minutes": 30}},
    )
    # 16:45 in Sao Paulo (UTC-3, no DST since 2019) is 19:45 UTC
    due = cal.add_business_seconds(ts(2024, 5, 10, 19, 45), 1800)
    assert due == ts(2024, 5, 13, 12, 15)  # Monday 09:15 local


def test_message_outside_hours_starts_the_clock_at_opening():
    cal = BusinessCalendar.from_settings("UTC", {"business_hours": WEEKDAYS_9_17})
    saturday = ts(2024, 5, 11, 10)
    assert cal.add_business_seconds(saturday, 600) == ts(2024, 5, 13, 9, 10)
    assert cal.business_seconds(saturday, ts(2024, 5, 13, 8, 59)) == 0


def test_overnight_wait_counts_only_open_hours():
    cal = BusinessCalendar.from_settings("Europe/Lisbon", {"business_hours": WEEKDAYS_9_18_SAT})
    # Tue 2024-05-14 17:30 Lisbon (UTC+1, summer) -> Wed 09:20 Lisbon
    assert cal.business_seconds(ts(2024, 5, 14, 16, 30), ts(2024, 5, 15, 8, 20)) == 50 * 60


def test_start_end_pairs_are_accepted_as_in_the_example_toml():
    pairs = BusinessCalendar.from_settings(
        "UTC",
        {
            "business_hours": {
                "mon": ["09:00", "18:00"],
                "tue": [["09:00", "12:00"], ["13:00", "18:00"]],
            }
        },
    )
    strings = BusinessCalendar.from_settings(
        "UTC", {"business_hours": {"mon": ["09:00-18:00"], "tue": ["09:00-12:00", "13:00-18:00"]}}
    )
    assert pairs.weekly == strings.weekly
    assert pairs.weekly[0] == ((540, 1080),) and pairs.weekly[1] == ((540, 720), (780, 1080))


def test_saturday_half_day():
    cal = BusinessCalendar.from_settings("UTC", {"business_hours": WEEKDAYS_9_18_SAT})
    # Sat 12:00 -> Mon 10:00: 1 h on Saturday + 1 h on Monday
    assert cal.business_seconds(ts(2024, 5, 11, 12), ts(2024, 5, 13, 10)) == 7200


def test_reply_landing_on_a_brazilian_national_holiday():
    cal = BusinessCalendar.from_settings(
        "America/Sao_Paulo", {"business_hours": WEEKDAYS_9_18_SAT, "holidays": {"country": "BR"}}
    )
    # Thu 2024-11-14 17:00 local (20:00 UTC); Fri 15 Nov is Proclamacao da
    # Republica; reply Fri 10:00 local -> only Thursday 17:00-18:00 counts.
    assert cal.is_holiday(datetime(2024, 11, 15).date())
    assert cal.business_seconds(ts(2024, 11, 14, 20), ts(2024, 11, 15, 13)) == 3600
    # Without the holiday the Friday hour would count too.
    plain = BusinessCalendar.from_settings(
        "America/Sao_Paulo", {"business_hours": WEEKDAYS_9_18_SAT}
    )
    assert plain.business_seconds(ts(2024, 11, 14, 20), ts(2024, 11, 15, 13)) == 7200


def test_state_holiday_needs_the_subdivision():
    # 9 July (Revolucao Constitucionalista) is a holiday in Sao Paulo state only.
    sp = BusinessCalendar.from_settings(
        "America/Sao_Paulo", {"holidays": {"country": "BR", "subdivision": "SP"}}
    )
    rj = BusinessCalendar.from_settings(
        "America/Sao_Paulo", {"holidays": {"country": "BR", "subdivision": "RJ"}}
    )
    day = datetime(2024, 7, 9).date()
    assert sp.is_holiday(day) and not rj.is_holiday(day)
    # 24/7 with holidays: the whole local day (03:00 UTC to 03:00 UTC) is closed.
    assert sp.business_seconds(ts(2024, 7, 8, 12), ts(2024, 7, 10, 12)) == 24 * 3600


def test_portuguese_holiday_and_sla_skips_it():
    cal = BusinessCalendar.from_settings(
        "Europe/Lisbon",
        {
            "business_hours": WEEKDAYS_9_17,
            "holidays": {"country": "PT"},
            "sla": {"first_response_minutes": 60},
        },
    )
    # Wed 2024-04-24 16:30 Lisbon (15:30 UTC); Thu 25 April is Dia da Liberdade:
    # 30 min on Wednesday, the other 30 on Friday 26 from 09:00 -> 09:30 Lisbon.
    assert cal.add_business_seconds(ts(2024, 4, 24, 15, 30), 3600) == ts(2024, 4, 26, 8, 30)


def test_extra_holiday_dates():
    cal = BusinessCalendar.from_settings("UTC", {"holidays": {"dates": ["2024-12-24"]}})
    assert not cal.always_open
    assert cal.business_seconds(ts(2024, 12, 24, 0), ts(2024, 12, 26, 0)) == 24 * 3600


def test_lisbon_spring_forward_day_has_23_hours():
    cal = BusinessCalendar.from_settings(
        "Europe/Lisbon", {"business_hours": {"sun": ["00:00-24:00"]}}
    )
    # 2024-03-31: 01:00 WET -> 02:00 WEST. Local midnight-to-midnight is
    # 00:00 UTC to 23:00 UTC.
    day = datetime(2024, 3, 31).date()
    assert cal.open_intervals(day) == ((ts(2024, 3, 31), ts(2024, 3, 31, 23)),)
    assert cal.business_seconds(ts(2024, 3, 30), ts(2024, 4, 2)) == 23 * 3600


def test_lisbon_office_hours_shift_in_utc_across_dst():
    cal = BusinessCalendar.from_settings("Europe/Lisbon", {"business_hours": WEEKDAYS_9_17})
    # Fri 2024-03-29 16:30 WET (=16:30 UTC) -> Mon 2024-04-01 09:30 WEST (=08:30 UTC)
    assert cal.business_seconds(ts(2024, 3, 29, 16, 30), ts(2024, 4, 1, 8, 30)) == 3600


def test_new_york_fall_back_day_has_25_hours():
    cal = BusinessCalendar.from_settings(
        "America/New_York", {"business_hours": {"sun": ["00:00-24:00"]}}
    )
    # 2024-11-03: 02:00 EDT -> 01:00 EST. Local day = 04:00 UTC to 05:00 UTC next day.
    day = datetime(2024, 11, 3).date()
    assert cal.open_intervals(day) == ((ts(2024, 11, 3, 4), ts(2024, 11, 4, 5)),)
    assert cal.business_seconds(ts(2024, 11, 2), ts(2024, 11, 5)) == 25 * 3600


def test_new_york_spring_forward_weekend():
    cal = BusinessCalendar.from_settings("America/New_York", {"business_hours": WEEKDAYS_9_17})
    # Fri 2024-03-08 16:30 EST (21:30 UTC) -> Mon 2024-03-11 09:30 EDT (13:30 UTC)
    assert cal.business_seconds(ts(2024, 3, 8, 21, 30), ts(2024, 3, 11, 13, 30)) == 3600
    assert cal.add_business_seconds(ts(2024, 3, 8, 21, 30), 3600) == ts(2024, 3, 11, 13, 30)


def test_local_date_and_hour_of_week():
    cal = BusinessCalendar.from_settings("America/Sao_Paulo", {})
    moment = ts(2024, 5, 13, 1, 30)  # Sunday 12 May 22:30 in Sao Paulo
    assert cal.local_date(moment).isoformat() == "2024-05-12"
    assert cal.hour_of_week(moment) == 6 * 24 + 22


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"business_hours": {"mon": ["18:00-09:00"]}}, "split overnight"),
        ({"business_hours": {"monday": ["09:00-18:00"]}}, "unknown day"),
        ({"business_hours": {"mon": ["9-18"]}}, "HH:MM"),
        ({"business_hours": {"mon": ["09:00-25:00"]}}, "time of day"),
        ({"business_hours": {}}, "every day is closed"),
        ({"sla": {"first_response_minutes": 0}}, "sla.first_response_minutes"),
        ({"sla": {"at_risk_fraction": 2}}, "at_risk_fraction"),
        ({"holidays": {"country": "XX"}}, "unknown country"),
        ({"clock_start": "middle"}, "clock_start"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_settings_are_refused_with_the_key(settings, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_settings("UTC", settings)


def test_unknown_timezone_is_refused():
    with pytest.raises(ValueError, match="unknown timezone"):
        BusinessCalendar.from_settings("Mars/Olympus", {})
