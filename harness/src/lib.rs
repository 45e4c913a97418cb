//! The contract-testing harness: runs an Odoo integration against
//! scripted scenarios and checks the sync properties that matter.
//!
//! A scenario ([`scenario`]) names a customer profile and integration
//! spec, initial SaaS data, steps (sync passes, SaaS changes, faults,
//! schema and access changes) and expectations. The [`runner`] gives each
//! scenario its own emulator and fake SaaS ([`saas`]), runs the
//! integration once per pass ([`integration`]), then [`check`]s the
//! expectations against the state that [`expected`] derives from the spec.
//! The [`report`] module renders the results for a terminal, JUnit and
//! JSON, and [`exit_codes`] lists what the command exits with. The
//! [`prop`] module generates histories, runs them as scenarios and shrinks
//! the first one that breaks a sync property.

pub mod check;
pub mod cli;
pub mod exit_codes;
pub mod expected;
pub mod integration;
pub mod odoo;
pub mod outcome;
pub mod prop;
pub mod report;
pub mod runner;
pub mod saas;
pub mod scenario;

pub use outcome::{ScenarioResult, Status};
pub use scenario::{load, InvalidScenario, Scenario};
