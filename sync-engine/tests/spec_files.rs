//! Every spec under `fixtures/mappings/` loads and validates.

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
