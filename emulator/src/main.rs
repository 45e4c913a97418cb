//! The `odoo-emulator` command.

fn main() {}
