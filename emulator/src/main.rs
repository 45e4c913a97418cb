//! The `odoo-emulator` command. See [`odoo_emulator::cli`].

fn main() -> std::process::ExitCode {
    odoo_emulator::cli::main()
}
