//! Writing reports to stdout without panicking when the reader has gone,
//! as `odoo-harness run | head -1` does.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it. After the first failed write,
/// such as a broken pipe, this and every later call write nothing, so the
/// command ends with its usual exit code and no panic.
pub fn write(text: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if written.is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Formats like `println!` and writes with [`write`].
macro_rules! outln {
    () => {
        $crate::report::stdout::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::report::stdout::write(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Formats like `print!` and writes with [`write`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::report::stdout::write(&format!($($arg)*))
    };
}

pub(crate) use {out, outln};
