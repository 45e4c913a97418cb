//! The `odoo-emulator` command. See [`odoo_emulator::cli`].

/// A call builds and drops thousands of small values (rows, strings,
/// response text), and mimalloc serves those faster than the system
/// allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    odoo_emulator::cli::main()
}
