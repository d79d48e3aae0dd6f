//! Publication dates of records: ISO 8601 / RFC 3339 timestamps to seconds since 1970 (UTC).
//!
//! Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM`, `HH:MM:SS` or
//! `HH:MM:SS.fff…`, optionally followed (after at most one space) by `Z`, `UTC`, `GMT` or a UTC
//! offset (`+03:00`, `+0300`, `-05`).
//! A date without an offset is read as UTC. Anything else (an impossible day such as
//! `2015-02-30`, a month 13, free text) is `None`: callers treat it as undated and say so.

/// Seconds since 1970-01-01T00:00:00Z of an ISO 8601 date or date-time, `None` when `s` is not
/// one.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut seconds = 0i64;
    let mut rest = &b[10..];
    if let Some((&sep, time)) = rest.split_first() {
        if sep != b'T' && sep != b't' && sep != b' ' {
            return None;
        }
        let hh = digits(11..13)?;
        if time.get(2) != Some(&b':') {
            return None;
        }
        let mm = digits(14..16)?;
        let mut end = 16;
        let mut ss = 0;
        if b.get(16) == Some(&b':') {
            ss = digits(17..19)?;
            end = 19;
            if b.get(19) == Some(&b'.') || b.get(19) == Some(&b',') {
                end = 20;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
                if end == 20 {
                    return None;
                }
            }
        }
        // 24:00:00 (the end of a day) and a leap second 60 are allowed.
        if hh > 24 || mm > 59 || ss > 60 || (hh == 24 && (mm, ss) != (0, 0)) {
            return None;
        }
        seconds = hh * 3600 + mm * 60 + ss;
        rest = &b[end..];
        seconds -= offset(rest)?;
        rest = &[];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86400 + seconds)
}

/// The UTC offset in seconds of a timestamp's tail: empty (UTC), `Z`, `UTC`, `GMT`, `±HH`,
/// `±HHMM` or `±HH:MM`, after at most one space; `None` for anything else.
fn offset(tail: &[u8]) -> Option<i64> {
    // One space may come before the zone, which may also be written UTC or GMT.
    let tail = tail.strip_prefix(b" ").filter(|t| !t.is_empty()).unwrap_or(tail);
    if matches!(tail, b"UTC" | b"GMT" | b"utc" | b"gmt") {
        return Some(0);
    }
    let sign = match tail.first() {
        None => return Some(0),
        Some(b'Z' | b'z') if tail.len() == 1 => return Some(0),
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let num = |p: &[u8]| -> Option<i64> {
        if p.len() == 2 && p.iter().all(u8::is_ascii_digit) {
            Some(i64::from(p[0] - b'0') * 10 + i64::from(p[1] - b'0'))
        } else {
            None
        }
    };
    let t = &tail[1..];
    let (hh, mm) = match t.len() {
        2 => (num(t)?, 0),
        4 => (num(&t[..2])?, num(&t[2..])?),
        5 if t[2] == b':' => (num(&t[..2])?, num(&t[3..])?),
        _ => return None,
    };
    if hh > 23 || mm > 59 {
        return None;
    }
    Some(sign * (hh * 3600 + mm * 60))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_in_utc() {
        assert_eq!(parse_timestamp("1970-01-02"), Some(86_400));
        assert_eq!(parse_timestamp("2015-08-10T12:30:00Z"), Some(1_439_209_800));
        assert_eq!(parse_timestamp("2015-08-10 12:30:00"), Some(1_439_209_800));
        assert_eq!(parse_timestamp("2015-08-10T12:30"), Some(1_439_209_800));
        assert_eq!(parse_timestamp("2015-08-10T12:30:00.250Z"), Some(1_439_209_800));
        assert_eq!(parse_timestamp(" 2015-08-10T12:30:00Z\n"), Some(1_439_209_800));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(parse_timestamp("2016-02-29"), Some(1_456_704_000));
    }

    #[test]
    fn offsets_move_the_instant() {
        let utc = parse_timestamp("2015-08-10T12:30:00Z").unwrap();
        assert_eq!(parse_timestamp("2015-08-10T15:30:00+03:00"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10T15:30:00+0300"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10T15:30:00+03"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10T07:30:00-05:00"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10 15:30:00 +03:00"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10 12:30:00 UTC"), Some(utc));
        assert_eq!(parse_timestamp("2015-08-10T12:30:00GMT"), Some(utc));
    }

    #[test]
    fn what_is_not_a_date_is_none() {
        for s in [
            "",
            "yesterday",
            "2015-13-01",
            "2015-02-30",
            "2015-02-29",
            "2015-08-10T25:00",
            "2015-08-10T12:60",
            "2015-08-10X12:30",
            "2015-08-10T12:30:00+3",
            "2015-08-10T12:30:00 EST",
            "2015-08-10T12:30:00  Z",
            "2015-08-10T12:30:00.",
            "2015-8-10",
            "+015-08-10",
            "2015-08-10T١٢:30",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_timestamp(&s);
        }

        #[test]
        fn day_order_is_time_order(a in 0i64..40_000, b in 0i64..40_000) {
            let show = |d: i64| {
                // Days since 1970 back to a civil date, by search over a year's days.
                let mut y = 1970 + d / 366;
                while days_from_civil(y + 1, 1, 1) <= d { y += 1; }
                let mut m = 1;
                while m < 12 && days_from_civil(y, m + 1, 1) <= d { m += 1; }
                format!("{y:04}-{m:02}-{:02}", d - days_from_civil(y, m, 1) + 1)
            };
            let (ta, tb) = (parse_timestamp(&show(a)).unwrap(), parse_timestamp(&show(b)).unwrap());
            proptest::prop_assert_eq!(ta, a * 86_400);
            proptest::prop_assert_eq!(ta.cmp(&tb), a.cmp(&b));
        }
    }
}
