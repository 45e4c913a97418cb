//! The end-to-end test harness.
//!
//! The test targets in `tests/tests/` start the real `odoo-emulator` binary
//! with [`emulator::Emulator`], one process per test on a free loopback
//! port, and drive it with unmodified Odoo clients: Python scripts under
//! `tests/clients/` run by [`python`], and raw HTTP requests built with
//! [`xmlrpc`] and `reqwest`. Build the binaries first (`cargo build --bins`);
//! `scripts/test` does that and installs the pinned Python packages.

pub mod emulator;
pub mod python;
pub mod xmlrpc;

pub use emulator::{Emulator, StartError};
