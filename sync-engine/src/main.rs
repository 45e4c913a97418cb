//! The `odoo-sync` command.

fn main() {}
