//! The emulator's clock: real UTC time by default, frozen or shifted on
//! request so tests control `create_date`, `write_date` and `now` defaults.

use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime, Utc};

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
    pub fn now(&self) -> NaiveDateTime {
        let state = *self.state.lock().expect("the clock lock is never poisoned");
        let base = state.frozen.unwrap_or_else(|| Utc::now().naive_utc());
        let now = base + state.offset;
        now.with_nanosecond_zero()
    }

    /// Returns the current time in Odoo's server format.
    pub fn now_text(&self) -> String {
        self.now().format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// Freezes the clock at a time.
    pub fn freeze(&self, at: NaiveDateTime) {
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        state.frozen = Some(at);
        state.offset = Duration::zero();
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        state.offset += by;
    }

    /// Moves the clock to a time. A frozen clock stays frozen there; a
    /// running clock keeps running from there.
    pub fn set(&self, at: NaiveDateTime) {
        let mut state = self.state.lock().expect("the clock lock is never poisoned");
        match state.frozen {
            Some(_) => {
                state.frozen = Some(at);
                state.offset = Duration::zero();
            }
            None => state.offset = at - Utc::now().naive_utc(),
        }
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
