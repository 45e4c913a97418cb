//! Every spec under `fixtures/mappings/` loads and validates, and the
//! built-in spec loads by name.

#[test]
fn shipped_specs_are_valid() {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/mappings");
    let mut checked = 0;
    for entry in std::fs::read_dir(directory).expect("the mappings folder exists") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            odoo_sync::Spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
            checked += 1;
        }
    }
    assert!(checked > 0, "no spec found in {directory}");
}

#[test]
fn builtin_spec_loads_by_name() {
    let spec = odoo_sync::Spec::load(std::path::Path::new("odoo-17")).expect("the built-in spec");

    assert!(spec.entities.contains_key("customer"));
}

#[test]
fn missing_spec_names_the_builtins() {
    let error =
        odoo_sync::Spec::load(std::path::Path::new("no-such-spec.yaml")).expect_err("no such file");

    assert!(
        error.to_string().contains("built-in name: odoo-17"),
        "{error}"
    );
}
