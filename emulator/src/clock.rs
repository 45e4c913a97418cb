//! The emulator's clock: real UTC time by default, frozen or shifted on
//! request so tests control `create_date`, `write_date` and `now` defaults.

use std::sync::Mutex;

use chrono::{Datelike as _, Duration, NaiveDate, NaiveDateTime, Timelike as _, Utc};

/// Returns the earliest time Odoo's `YYYY-MM-DD HH:MM:SS` format can write.
pub fn earliest_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .expect("0001-01-01 00:00:00 is a valid time")
}

/// Returns the latest time Odoo's `YYYY-MM-DD HH:MM:SS` format can write.
pub fn latest_time() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|date| date.and_hms_opt(23, 59, 59))
        .expect("9999-12-31 23:59:59 is a valid time")
}

/// A clock change rejected because the clock would leave the years 1 to
/// 9999, which Odoo's four-digit date format and string-compared date
/// searches need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange {
    /// The requested time, or `None` when chrono cannot represent it.
    pub requested: Option<NaiveDateTime>,
}

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "the clock would move ")?;
        if let Some(at) = self.requested {
            write!(formatter, "to {}, ", at.format("%Y-%m-%d %H:%M:%S"))?;
        }
        write!(
            formatter,
            "outside {} to {} (UTC), the years 1 to 9999 that Odoo's \
             YYYY-MM-DD HH:MM:SS format can store",
            earliest_time().format("%Y-%m-%d %H:%M:%S"),
            latest_time().format("%Y-%m-%d %H:%M:%S"),
        )
    }
}

impl std::error::Error for OutOfRange {}

/// Appends `number` in decimal, zero-padded to at least `width` digits.
fn push_digits(text: &mut String, number: u32, width: u32) {
    let width = width.max(number.checked_ilog10().unwrap_or(0) + 1);
    for place in (0..width).rev() {
        let digit = number / 10u32.pow(place) % 10;
        text.push(char::from(
            b'0' + u8::try_from(digit).expect("a decimal digit"),
        ));
    }
}

/// Returns `at` if Odoo's date format can store it.
fn check_range(at: Option<NaiveDateTime>) -> Result<NaiveDateTime, OutOfRange> {
    match at {
        Some(at) if (earliest_time()..=latest_time()).contains(&at) => Ok(at),
        requested => Err(OutOfRange { requested }),
    }
}

/// A clock that can be frozen at a time or offset from real time.
#[derive(Debug, Default)]
pub struct Clock {
    state: Mutex<ClockState>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ClockState {
    frozen: Option<NaiveDateTime>,
    offset: Duration,
}

impl Clock {
    /// Returns the current time, truncated to seconds as Odoo stores it.
    /// A running clock that reaches 9999-12-31 23:59:59 stays there, the
    /// last time Odoo's format can store.
    pub fn now(&self) -> NaiveDateTime {
        let state = *self.state.lock().expect("the clock lock is never poisoned");
        let base = state.frozen.unwrap_or_else(|| Utc::now().naive_utc());
        let now = (base + state.offset).min(latest_time());
        now.with_nanosecond_zero()
    }

    /// Returns the current time in Odoo's server format.
    pub fn now_text(&self) -> String {
        // Written digit by digit: every RPC call reads the time twice, and
        // `format!` with padded fields cost about 3,000 instructions each
        // time, chrono's `format` more.
        let now = self.now();
        let mut text = String::with_capacity(19);
        push_digits(&mut text, now.year().unsigned_abs(), 4);
        text.push('-');
        push_digits(&mut text, now.month(), 2);
        text.push('-');
        push_digits(&mut text, now.day(), 2);
        text.push(' ');
        push_digits(&mut text, now.hour(), 2);
        text.push(':');
        push_digits(&mut text, now.minute(), 2);
        text.push(':');
        push_digits(&mut text, now.second(), 2);
        text
    }

    /// Freezes the clock at a time in the years 1 to 9999.
    pub fn freeze(&self, at: NaiveDateTime) -> Result<(), OutOfRange> {
        let at = check_range(Some(at))?;
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        state.frozen = Some(at);
        state.offset = Duration::zero();
        Ok(())
    }

    /// Moves the clock forward (or back, with a negative duration), unless
    /// that leaves the years 1 to 9999.
    pub fn advance(&self, by: Duration) -> Result<(), OutOfRange> {
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        let base = state.frozen.unwrap_or_else(|| Utc::now().naive_utc());
        let offset = state.offset.checked_add(&by);
        check_range(offset.and_then(|offset| base.checked_add_signed(offset)))?;
        state.offset = offset.expect("checked in range");
        Ok(())
    }

    /// Moves the clock to a time in the years 1 to 9999. A frozen clock
    /// stays frozen there, and a running clock keeps running from there.
    pub fn set(&self, at: NaiveDateTime) -> Result<(), OutOfRange> {
        let at = check_range(Some(at))?;
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        match state.frozen {
            Some(_) => {
                state.frozen = Some(at);
                state.offset = Duration::zero();
            }
            None => state.offset = at - Utc::now().naive_utc(),
        }
        Ok(())
    }

    /// Tells whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        let state = self.state.lock().expect("the clock lock is never poisoned");
        state.frozen.is_some()
    }

    /// Returns to real time.
    pub fn unfreeze(&self) {
        *self.state.lock().expect("the clock lock is never poisoned") = ClockState::default();
    }
}

trait TruncateNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl TruncateNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frozen_at(text: &str) -> Clock {
        let clock = Clock::default();
        let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("a valid time");
        clock.freeze(at).expect("within Odoo's range");
        clock
    }

    #[test]
    fn now_text_pads_every_field() {
        assert_eq!(
            frozen_at("0999-01-02 03:04:05").now_text(),
            "0999-01-02 03:04:05"
        );
    }

    #[test]
    fn now_text_writes_the_last_second() {
        assert_eq!(
            frozen_at("9999-12-31 23:59:59").now_text(),
            "9999-12-31 23:59:59"
        );
    }

    /// A number wider than its width keeps every digit: a year of five
    /// digits cut to four would read as year 0.
    /// A running clock set to the last second stops there instead of
    /// passing into year 10000.
    #[test]
    fn running_clock_stops_at_the_last_second() {
        let clock = Clock::default();
        clock.set(latest_time()).expect("in range");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now(), latest_time());
        assert_eq!(clock.now_text(), "9999-12-31 23:59:59");
        assert!(!clock.is_frozen());
    }

    #[test]
    fn digits_widen_past_the_width() {
        let written = |number, width| {
            let mut text = String::new();
            push_digits(&mut text, number, width);
            text
        };
        assert_eq!(written(10_000, 4), "10000");
        assert_eq!(written(7, 2), "07");
        assert_eq!(written(0, 4), "0000");
        assert_eq!(written(59, 2), "59");
    }
}
