"""Opening hours as a resident lives them: the clock of the city, nights, holidays."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.directory.hours import DatedClosure, Hours, WeeklyRange

PARIS = ZoneInfo("Europe/Paris")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def at(day: int, hh: int, mm: int = 0) -> datetime:
    """Monday 2026-11-30 is day 0 of the week used here."""
    return datetime.combine(date(2026, 11, 30) + timedelta(days=day), time(hh, mm), PARIS)


def weekdays(opens: str, closes: str, days=range(5)) -> list[WeeklyRange]:
    return [WeeklyRange(d, time.fromisoformat(opens), time.fromisoformat(closes)) for d in days]


def test_open_now_and_closing_time() -> None:
    hours = Hours(weekdays("09:00", "12:00") + weekdays("14:00", "17:00"))
    status = hours.status(at(MON, 10))
    assert status.open_now
    assert status.closes_at == datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)
    assert status.minutes_to_opening == 0


def test_lunch_break_gives_next_opening_the_same_day() -> None:
    status = Hours(weekdays("09:00", "12:00") + weekdays("14:00", "17:00")).status(at(MON, 12, 30))
    assert not status.open_now
    assert status.next_opening.starts == datetime(2026, 11, 30, 14, 0, tzinfo=PARIS)
    assert status.minutes_to_opening == 90
    assert len(status.today) == 2


def test_friday_evening_next_opening_is_monday() -> None:
    status = Hours(weekdays("09:00", "12:00")).status(at(FRI, 18))
    assert status.next_opening.starts == datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)


def test_night_shelter_open_past_midnight() -> None:
    hours = Hours([WeeklyRange(d, time(19), time(8)) for d in range(7)])
    late = hours.status(at(TUE, 2))  # begun Monday 19:00
    assert late.open_now
    assert late.closes_at == datetime(2026, 12, 1, 8, 0, tzinfo=PARIS)
    morning = hours.status(at(TUE, 9))
    assert not morning.open_now
    assert morning.next_opening.starts == datetime(2026, 12, 1, 19, 0, tzinfo=PARIS)


def test_sunday_night_range_runs_into_monday() -> None:
    hours = Hours([WeeklyRange(SUN, time(20), time(2))])
    assert hours.status(datetime(2026, 11, 30, 1, 30, tzinfo=PARIS)).open_now  # Monday 01:30
    assert not hours.status(datetime(2026, 11, 30, 2, 0, tzinfo=PARIS)).open_now


def test_open_all_day_every_day_never_closes_at_midnight() -> None:
    hours = Hours([WeeklyRange(d, time(0), time(0)) for d in range(7)])
    status = hours.status(at(WED, 23, 59))
    assert status.open_now
    # Back-to-back days chain to the end of the look-ahead, not tonight's midnight.
    assert status.closes_at > datetime(2026, 12, 10, tzinfo=PARIS)


def test_closure_day_is_closed_and_says_why() -> None:
    christmas = DatedClosure(date(2026, 12, 25), date(2026, 12, 25), "holiday", {"fr": "Noël"})
    hours = Hours(weekdays("09:00", "17:00"), [christmas])
    status = hours.status(datetime(2026, 12, 25, 10, tzinfo=PARIS))
    assert not status.open_now
    assert status.closure == christmas
    assert status.next_opening.starts == datetime(2026, 12, 28, 9, 0, tzinfo=PARIS)


def test_closure_cuts_an_overnight_range_that_starts_on_it() -> None:
    works = DatedClosure(date(2026, 12, 1), date(2026, 12, 1), "works")
    hours = Hours([WeeklyRange(d, time(19), time(8)) for d in range(7)], [works])
    assert not hours.status(datetime(2026, 12, 1, 22, tzinfo=PARIS)).open_now
    # The night begun the evening before is not cut short.
    assert hours.status(datetime(2026, 12, 1, 7, tzinfo=PARIS)).open_now


def test_temporarily_closed_service_has_no_opening() -> None:
    status = Hours(weekdays("09:00", "17:00"), closed=True).status(at(MON, 10))
    assert not status.open_now
    assert status.next_opening is None
    assert status.minutes_to_opening is None
    assert status.has_hours


def test_no_schedule_means_unknown_not_closed_forever() -> None:
    status = Hours([]).status(at(MON, 10))
    assert not status.has_hours
    assert status.next_opening is None


def test_evaluated_in_the_city_timezone_whatever_the_clock_given() -> None:
    hours = Hours(weekdays("09:00", "12:00"))
    utc_8h30 = datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Paris
    assert hours.status(utc_8h30).open_now


def test_daylight_saving_change_keeps_wall_clock_hours() -> None:
    hours = Hours(weekdays("09:00", "12:00", days=[MON]))
    # Sunday 2027-03-28 clocks go forward; Monday 09:00 is still 09:00 local.
    status = hours.status(datetime(2027, 3, 28, 12, tzinfo=PARIS))
    assert status.next_opening.starts == datetime(2027, 3, 29, 9, 0, tzinfo=PARIS)
    assert status.minutes_to_opening == 21 * 60


def test_a_wait_across_the_change_of_clocks_counts_real_minutes() -> None:
    hours = Hours(weekdays("09:00", "12:00", days=[MON]))
    # Saturday 2027-03-27 22:00 to Monday 09:00: clocks go forward in between, 34 h not 35.
    status = hours.status(datetime(2027, 3, 27, 22, tzinfo=PARIS))
    assert status.minutes_to_opening == 34 * 60
