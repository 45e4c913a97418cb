//! The in-memory ORM: schema, store, fields, domains and methods.
