//! The `odoo-harness` command.

fn main() {}
