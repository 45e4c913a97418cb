//! The whole profiles shown in `docs/profile-format.md` load, so a reader
//! who copies one gets a profile that `profile check` accepts.

use std::io::Write as _;

use odoo_emulator::profile::Profile;

/// Returns the YAML blocks of a Markdown text that are whole profiles:
/// those that extend a base. Fragments of one section are left out.
fn whole_profiles(markdown: &str) -> Vec<String> {
    let mut profiles = Vec::new();
    let mut block: Option<String> = None;
    for line in markdown.lines() {
        match (&mut block, line.trim_end()) {
            (None, "```yaml") => block = Some(String::new()),
            (Some(text), "```") => {
                if text.lines().any(|line| line.starts_with("extends:")) {
                    profiles.push(text.clone());
                }
                block = None;
            }
            (Some(text), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    profiles
}

#[test]
fn profile_format_examples_load() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/profile-format.md");
    let markdown = std::fs::read_to_string(path).expect("the profile format page is readable");
    let profiles = whole_profiles(&markdown);
    assert!(profiles.len() >= 2, "the page shows whole profiles");
    for (number, text) in profiles.iter().enumerate() {
        let mut file = tempfile::Builder::new()
            .suffix(".yaml")
            .tempfile()
            .expect("a temporary file");
        file.write_all(text.as_bytes())
            .expect("the example is written");
        let path = file.path().to_str().expect("a UTF-8 path");
        if let Err(error) = Profile::load(path) {
            panic!(
                "example {} of the page does not load: {error}\n{text}",
                number + 1
            );
        }
    }
}
