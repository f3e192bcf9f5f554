//! ISO-8601 (RFC 3339 profile) timestamps to epoch milliseconds.
//!
//! Accepted forms, for years `0000`–`9999` of the proleptic Gregorian calendar:
//!
//! * `YYYY-MM-DD` — midnight UTC;
//! * `YYYY-MM-DDTHH:MM[:SS[.fff…]][offset]`, with `T`, `t` or a space between date and time;
//! * offset: `Z` / `z`, `±HH:MM`, `±HHMM` or `±HH`; **no offset means UTC** (not local time,
//!   which would make a batch's meaning depend on the machine analysing it).
//!
//! Fields are range-checked: month 1–12, day within its month (leap years included), hour
//! 0–23 (no `24:00`), minute 0–59, second 0–59 (no leap second `60`). Fractional seconds may
//! have any number of digits; sub-millisecond digits are kept as a fraction of a millisecond.

/// Converts an ISO-8601 timestamp to epoch milliseconds; the error says what is wrong.
pub fn to_epoch_ms(s: &[u8]) -> Result<f64, String> {
    let mut c = Cursor { s, i: 0 };
    let year = c.digits(4, "expected a date YYYY-MM-DD")?;
    c.expect(b'-', "expected a date YYYY-MM-DD")?;
    let month = c.digits(2, "expected a date YYYY-MM-DD")?;
    c.expect(b'-', "expected a date YYYY-MM-DD")?;
    let day = c.digits(2, "expected a date YYYY-MM-DD")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is out of range 1-12"));
    }
    let days_in_month = days_in_month(year, month);
    if !(1..=days_in_month).contains(&day) {
        return Err(format!("day {day} is out of range 1-{days_in_month} for {year:04}-{month:02}"));
    }
    let days = days_from_civil(year, month, day);
    if c.at_end() {
        return Ok((days * 86_400_000) as f64);
    }
    if !matches!(c.peek(), Some(b'T' | b't' | b' ')) {
        return Err("expected 'T' or a space between the date and the time".into());
    }
    c.i += 1;
    let hour = c.digits(2, "expected a time HH:MM[:SS]")?;
    c.expect(b':', "expected a time HH:MM[:SS]")?;
    let minute = c.digits(2, "expected a time HH:MM[:SS]")?;
    let mut second = 0;
    let mut millis = 0;
    let mut sub_ms = 0.0;
    if c.peek() == Some(b':') {
        c.i += 1;
        second = c.digits(2, "expected seconds SS")?;
        if c.peek() == Some(b'.') {
            c.i += 1;
            (millis, sub_ms) = c.fraction()?;
        }
    }
    if hour > 23 {
        return Err(format!("hour {hour} is out of range 0-23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute} is out of range 0-59"));
    }
    if second > 59 {
        return Err(format!("second {second} is out of range 0-59 (leap seconds are not supported)"));
    }
    let offset_minutes = c.offset()?;
    if !c.at_end() {
        return Err("unexpected characters after the timestamp".into());
    }
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    // |ms| < 2^53 for years 0000-9999: the integer part is exact, the fraction rounds once.
    Ok((seconds * 1_000 + millis) as f64 + sub_ms)
}

/// A read position in the timestamp.
struct Cursor<'s> {
    s: &'s [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(what.into())
        }
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize, what: &str) -> Result<i64, String> {
        let mut v = 0;
        for _ in 0..n {
            match self.peek() {
                Some(d @ b'0'..=b'9') => v = v * 10 + i64::from(d - b'0'),
                _ => return Err(what.into()),
            }
            self.i += 1;
        }
        Ok(v)
    }

    /// The digits after the decimal point: whole milliseconds and the rest of a millisecond.
    fn fraction(&mut self) -> Result<(i64, f64), String> {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let digits = &self.s[start..self.i];
        if digits.is_empty() {
            return Err("expected digits after the decimal point".into());
        }
        let mut millis = 0;
        for k in 0..3 {
            millis = millis * 10 + digits.get(k).map_or(0, |d| i64::from(d - b'0'));
        }
        // At most 15 more digits: the quotient of two exact doubles, correctly rounded.
        let rest = digits.get(3..).unwrap_or(&[]);
        let rest = &rest[..rest.len().min(15)];
        let n = rest.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        let sub_ms = n as f64 / 10f64.powi(rest.len() as i32);
        Ok((millis, sub_ms))
    }

    /// The UTC offset in minutes (east positive); none means UTC.
    fn offset(&mut self) -> Result<i64, String> {
        const WHAT: &str = "expected a time zone offset Z, ±HH:MM or ±HHMM";
        let sign = match self.peek() {
            None => return Ok(0),
            Some(b'Z' | b'z') => {
                self.i += 1;
                return Ok(0);
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            Some(_) => return Err(WHAT.into()),
        };
        self.i += 1;
        let hours = self.digits(2, WHAT)?;
        let minutes = match self.peek() {
            None => 0,
            Some(b':') => {
                self.i += 1;
                self.digits(2, WHAT)?
            }
            Some(_) => self.digits(2, WHAT)?,
        };
        if hours > 23 || minutes > 59 {
            return Err(format!("time zone offset {hours:02}:{minutes:02} is out of range"));
        }
        Ok(sign * (hours * 60 + minutes))
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> f64 {
        to_epoch_ms(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        to_epoch_ms(s.as_bytes()).expect_err(s)
    }

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(ms("1970-01-01"), 0.0);
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0.0);
        assert_eq!(ms("2000-01-01T00:00:00Z"), 946_684_800_000.0);
        assert_eq!(ms("2024-11-26T06:13:20Z"), 1_732_601_600_000.0);
        assert_eq!(ms("0001-01-01T00:00:00Z"), -62_135_596_800_000.0);
        assert_eq!(ms("0000-01-01"), -62_167_219_200_000.0);
        assert_eq!(ms("9999-12-31T23:59:59.999Z"), 253_402_300_799_999.0);
        assert_eq!(ms("1969-12-31T23:59:59.5Z"), -500.0);
    }

    #[test]
    fn separators_offsets_and_precision() {
        let z = ms("2024-11-26T10:00:00Z");
        assert_eq!(ms("2024-11-26 10:00:00Z"), z);
        assert_eq!(ms("2024-11-26t10:00:00z"), z);
        assert_eq!(ms("2024-11-26T10:00:00"), z, "no offset is UTC");
        assert_eq!(ms("2024-11-26T10:00Z"), z);
        assert_eq!(ms("2024-11-26T12:00:00+02:00"), z);
        assert_eq!(ms("2024-11-26T12:00:00+0200"), z);
        assert_eq!(ms("2024-11-26T12:00:00+02"), z);
        assert_eq!(ms("2024-11-26T04:30:00-05:30"), z);
        assert_eq!(ms("2024-11-26T10:00:00-00:00"), z);
        assert_eq!(ms("2024-11-26T00:00:00+14:00"), z - 24.0 * 3_600_000.0);
        assert_eq!(ms("2024-11-26T10:00:00.5Z"), z + 500.0);
        assert_eq!(ms("2024-11-26T10:00:00.123Z"), z + 123.0);
        assert_eq!(ms("2024-11-26T10:00:00.1234Z"), z + 123.4);
        assert_eq!(ms("1970-01-01T00:00:00.0001Z"), 0.1);
        assert!((ms("1970-01-01T00:00:00.123456789012345678901Z") - 123.456_789_012_345_68).abs() < 1e-12);
    }

    #[test]
    fn leap_years() {
        assert_eq!(ms("2024-02-29") + 86_400_000.0, ms("2024-03-01"));
        assert_eq!(ms("2000-02-29") + 86_400_000.0, ms("2000-03-01"));
        assert!(err("2023-02-29").contains("day 29 is out of range 1-28 for 2023-02"));
        assert!(err("1900-02-29").contains("out of range 1-28"));
        assert!(err("2024-02-30").contains("out of range 1-29"));
        assert!(err("2024-04-31").contains("out of range 1-30"));
    }

    #[test]
    fn days_from_civil_matches_day_counting() {
        let mut days = days_from_civil(0, 1, 1);
        for year in 0..=9999 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days, "{year}-{month}-{day}");
                    days += 1;
                }
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn rejects_malformed_and_out_of_range() {
        assert!(err("2024-13-01").contains("month 13"));
        assert!(err("2024-00-01").contains("month 0"));
        assert!(err("2024-01-00").contains("day 0"));
        assert!(err("2024-01-01T24:00:00Z").contains("hour 24"));
        assert!(err("2024-01-01T23:60:00Z").contains("minute 60"));
        assert!(err("2024-01-01T23:59:60Z").contains("leap seconds"));
        assert!(err("2024-01-01T10:00:00+24:00").contains("offset"));
        assert!(err("2024-01-01T10:00:00+02:60").contains("offset"));
        assert!(err("2024-01-01T10:00:00+2").contains("offset"));
        assert!(err("2024-01-01T10:00:00.Z").contains("decimal point"));
        assert!(err("2024-01-01T10").contains("HH:MM"));
        assert!(err("2024-01-01X10:00:00").contains("'T'"));
        assert!(err("2024-1-01").contains("YYYY-MM-DD"));
        assert!(err("24-01-01").contains("YYYY-MM-DD"));
        assert!(err("2024-01-01T10:00:00Zjunk").contains("after the timestamp"));
        assert!(err("2024-01-01 ").contains("HH:MM"));
        assert!(err("").contains("YYYY-MM-DD"));
        assert!(err("1732600000").contains("YYYY-MM-DD"));
    }
}
