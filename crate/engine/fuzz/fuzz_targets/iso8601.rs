//! ISO-8601 against a straightforward reference: fixed positions, days counted year by year and
//! month by month (no civil-date formula, no chrono). Same accept/reject, bit-equal results.
#![no_main]

use conclude_engine::parse::iso8601::to_epoch_ms;
use libfuzzer_sys::fuzz_target;

fn leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn month_len(y: i64, m: i64) -> i64 {
    [31, if leap(y) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][(m - 1) as usize]
}

fn num(s: &[u8]) -> Option<i64> {
    (!s.is_empty() && s.iter().all(u8::is_ascii_digit)).then(|| s.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

fn reference(s: &[u8]) -> Option<f64> {
    let field = |a: usize, b: usize| s.get(a..b).and_then(num);
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    if s[4] != b'-' || s[7] != b'-' || !(1..=12).contains(&month) || day < 1 || day > month_len(year, month) {
        return None;
    }
    let mut days: i64 = 0;
    for y in year.min(1970)..year.max(1970) {
        days += if leap(y) { 366 } else { 365 };
    }
    if year < 1970 {
        days = -days;
    }
    days += (1..month).map(|m| month_len(year, m)).sum::<i64>() + day - 1;
    if s.len() == 10 {
        return Some((days * 86_400_000) as f64);
    }
    if !matches!(s[10], b'T' | b't' | b' ') || s.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (field(11, 13)?, field(14, 16)?);
    let mut rest = &s[16..];
    let (mut second, mut millis, mut sub) = (0, 0, 0.0);
    if rest.first() == Some(&b':') {
        second = num(rest.get(1..3)?)?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let digits: Vec<u8> = rest[1..].iter().copied().take_while(u8::is_ascii_digit).collect();
            if digits.is_empty() {
                return None;
            }
            rest = &rest[1 + digits.len()..];
            let mut padded = digits.clone();
            padded.resize(padded.len().max(3), b'0');
            millis = num(&padded[..3])?;
            let tail = &digits[digits.len().min(3)..];
            let tail = &tail[..tail.len().min(15)];
            if !tail.is_empty() {
                sub = num(tail)? as f64 / 10f64.powi(tail.len() as i32);
            }
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [a, b] => (num(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (num(&[*a, *b])?, num(&[*c, *d])?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            (h * 60 + m) * if *sign == b'-' { -1 } else { 1 }
        }
        _ => return None,
    };
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60;
    Some((seconds * 1_000 + millis) as f64 + sub)
}

fuzz_target!(|data: &[u8]| {
    let got = to_epoch_ms(data).ok();
    let want = reference(data);
    assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{:?}: {got:?} vs {want:?}", String::from_utf8_lossy(data));
});
