//! The exit codes of `odoo-harness`, one per class of outcome, so that a CI
//! script can tell a broken contract from a broken setup.

/// Every selected scenario ran and every expectation held.
pub const ALL_HELD: i32 = 0;

/// The input was invalid: a scenario, profile or spec file was rejected
/// before anything ran, or the command line was wrong. Clap uses the same
/// code for its own usage errors.
pub const INVALID_INPUT: i32 = 2;

/// The paths, `--filter` and `--partition` selected no scenario.
pub const NO_SCENARIOS: i32 = 4;

/// At least one scenario ran and an expectation did not hold: the
/// integration broke the contract.
pub const CONTRACT_FAILED: i32 = 100;

/// The run was interrupted by SIGINT or SIGTERM; the passes running then
/// were killed. This is the shell's code for a process ended by SIGINT.
pub const INTERRUPTED: i32 = 130;

/// The harness itself failed: it could not bind a port, start a server,
/// create a temporary folder or write a report. A panic also exits with
/// this code, which is Rust's default for one.
pub const HARNESS_ERROR: i32 = 101;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code() {
        let help = crate::cli::exit_codes_help();
        for code in [
            ALL_HELD,
            INVALID_INPUT,
            NO_SCENARIOS,
            CONTRACT_FAILED,
            HARNESS_ERROR,
            INTERRUPTED,
        ] {
            assert!(
                help.lines()
                    .any(|line| line.trim_start().starts_with(&format!("{code} "))),
                "exit code {code} is missing from the help:\n{help}"
            );
        }
    }
}
