//! The contract-testing harness.
