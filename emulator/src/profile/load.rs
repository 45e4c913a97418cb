//! Reading profile files: built-in bases, `extends` chains and YAML errors
//! with their location.

use std::path::{Path, PathBuf};

use crate::profile::format::ProfileFile;
use crate::profile::ProfileError;

/// The built-in base profiles, embedded in the binary.
const BUILTINS: &[(&str, &str)] = &[(
    "odoo-17",
    include_str!("../../../fixtures/profiles/base/odoo-17.yaml"),
)];

/// The largest profile or scenario file read, in bytes. Such files are
/// text written by people or by `profile import`, far smaller than this,
/// and a path to something else (`/dev/zero`, a disk image) would
/// otherwise be read until memory runs out.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a text file of at most [`MAX_FILE_BYTES`].
///
/// # Errors
///
/// Returns the error of opening or reading the file, or an
/// `InvalidData` error for a larger file or one that is not UTF-8.
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the file is larger than {} MiB, so it is not a profile or scenario",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(text)
}

/// Returns the names of the built-in bases.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|(name, _)| *name).collect()
}

/// A parsed profile file and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// A path, or `builtin:NAME`.
    pub origin: String,
    pub text: String,
    pub file: ProfileFile,
}

/// Loads a profile and every profile it extends, base first.
pub fn load_chain(reference: &str) -> Result<Vec<Source>, ProfileError> {
    let (origin, text) = read(reference, None)?;
    chain_from(origin, text)
}

/// Loads a profile given as text, and every profile it extends, base
/// first. `origin` names it in errors, and a relative `extends` path is
/// read from the directory of `origin`.
pub fn load_chain_from_text(origin: &str, text: &str) -> Result<Vec<Source>, ProfileError> {
    chain_from(origin.to_owned(), text.to_owned())
}

fn chain_from(origin: String, text: String) -> Result<Vec<Source>, ProfileError> {
    let mut chain = Vec::new();
    let mut seen = Vec::new();
    let mut next = Some((origin, text));
    while let Some((origin, text)) = next.take() {
        if seen.contains(&origin) {
            let cycle = seen.join(" -> ");
            return Err(ProfileError::at(
                &origin,
                None,
                format!("`extends` forms a cycle: {cycle} -> {origin}"),
            ));
        }
        seen.push(origin.clone());
        let file = parse(&origin, &text)?;
        if let Some(parent) = &file.extends {
            let directory = Path::new(&origin).parent().map(Path::to_path_buf);
            let relative_to = if origin.starts_with("builtin:") {
                None
            } else {
                directory
            };
            next = Some(read(parent, relative_to.as_deref())?);
        }
        chain.push(Source { origin, text, file });
    }
    chain.reverse();
    Ok(chain)
}

/// Reads a built-in base by name or a file by path.
fn read(reference: &str, relative_to: Option<&Path>) -> Result<(String, String), ProfileError> {
    if let Some((name, text)) = BUILTINS.iter().find(|(name, _)| *name == reference) {
        return Ok((format!("builtin:{name}"), (*text).to_owned()));
    }
    let path = match relative_to {
        Some(directory) if Path::new(reference).is_relative() => directory.join(reference),
        _ => PathBuf::from(reference),
    };
    let origin = path.display().to_string();
    let text = read_text_file(&path).map_err(|error| {
        let builtins = builtin_names().join(", ");
        ProfileError::at(
            &origin,
            None,
            format!("cannot read the profile: {error} (built-in bases: {builtins})"),
        )
    })?;
    Ok((origin, text))
}

/// Parses YAML into the profile format, reporting the location of a
/// syntax error or an unknown key.
pub fn parse(origin: &str, text: &str) -> Result<ProfileFile, ProfileError> {
    serde_saphyr::from_str::<ProfileFile>(text).map_err(|error| ProfileError {
        path: origin.to_owned(),
        // The snippet header names the file rather than `<input>`.
        message: error.render_with_options(serde_saphyr::render_options! {
            source_name: Some(origin),
        }),
    })
}

/// Finds the line and column of a key path such as
/// `["models", "res.partner", "fields", "vat"]` in block-style YAML, so
/// errors found after parsing can point at their source.
pub fn locate(text: &str, path: &[&str]) -> Option<(usize, usize)> {
    let mut depth_indent: Option<usize> = None;
    let mut remaining = path;
    let mut found = None;
    for (number, line) in text.lines().enumerate() {
        let Some(key) = remaining.first() else { break };
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if depth_indent.is_some_and(|d| indent <= d) && found.is_some() {
            return found;
        }
        let bare = trimmed.trim_start_matches("- ");
        let matches_key = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ]
        .iter()
        .any(|k| bare.starts_with(k.as_str()))
            || bare.contains(&format!("{{{key}:"));
        if matches_key && depth_indent.is_none_or(|d| indent > d) {
            found = Some((number + 1, indent + 1));
            depth_indent = Some(indent);
            remaining = &remaining[1..];
        }
    }
    found
}

impl ProfileError {
    /// Builds an error with an optional line and column.
    pub fn at(path: &str, location: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        let path = match location {
            Some((line, column)) => format!("{path}:{line}:{column}"),
            None => path.to_owned(),
        };
        ProfileError {
            path,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_nested_keys() {
        let text = "name: x\nmodels:\n  res.partner:\n    fields:\n      vat: {required: true}\n";
        assert_eq!(
            locate(text, &["models", "res.partner", "fields", "vat"]),
            Some((5, 7))
        );
        assert_eq!(locate(text, &["models", "res.users"]), Some((2, 1)));
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_location() {
        let error = parse("p.yaml", "name: x\nmodelz: {}\n").expect_err("unknown key");
        assert!(error.message.contains("modelz"), "{}", error.message);
        assert!(
            error.message.contains("--> p.yaml:2:1"),
            "{}",
            error.message
        );
    }
}
