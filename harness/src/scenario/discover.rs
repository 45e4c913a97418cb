//! Finding scenario files and choosing the ones a run takes: by path, by
//! `--filter` on the name, and by `--partition K/N` for CI shards.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Lists the scenario files under the given paths, sorted and without
/// repeats. A directory contributes every `.yaml` and `.yml` file below
/// it, except in folders whose name starts with `.` or `_`, which can hold
/// shared files that are not scenarios.
///
/// # Errors
///
/// Returns a message for a path that does not exist or cannot be read.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else if path.exists() {
            // A FIFO, socket or device: reading it could block or never end.
            return Err(format!(
                "{}: not a scenario file or a folder of them (a pipe, socket or device)",
                path.display()
            ));
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn collect(directory: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| format!("{}: cannot list: {error}", directory.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|error| format!("{}: cannot list: {error}", directory.display()))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && !name.starts_with('_') {
                collect(&path, files)?;
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            files.push(path);
        }
    }
    Ok(())
}

/// One shard of a run: the `index`th of `count`, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub count: usize,
}

impl Partition {
    /// Keeps the items of this shard. Items are dealt round-robin in the
    /// order given, so every shard gets a share of the same size, give or
    /// take one, and the shards together hold each item once.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(position, _)| position % self.count == self.index - 1)
            .map(|(_, item)| item)
            .collect()
    }
}

impl FromStr for Partition {
    type Err = String;

    /// Parses `K/N`, also written `count:K/N` as nextest spells it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid =
            || format!("invalid partition {text:?}: write K/N with 1 <= K <= N, such as 2/4");
        let fraction = text.strip_prefix("count:").unwrap_or(text);
        let (index, count) = fraction.split_once('/').ok_or_else(invalid)?;
        let index: usize = index.trim().parse().map_err(|_| invalid())?;
        let count: usize = count.trim().parse().map_err(|_| invalid())?;
        if index == 0 || count == 0 || index > count {
            return Err(invalid());
        }
        Ok(Partition { index, count })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_parses_valid_forms() {
        let cases = [
            ("1/1", (1, 1)),
            ("2/4", (2, 4)),
            ("count:3/3", (3, 3)),
            (" 1 / 2", (1, 2)),
        ];
        for (text, (index, count)) in cases {
            assert_eq!(text.parse(), Ok(Partition { index, count }), "{text}");
        }
    }

    #[test]
    fn partition_rejects_invalid_forms() {
        for text in ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "hash:1/2", ""] {
            let error = text.parse::<Partition>().expect_err(text);
            assert!(error.contains("K/N"), "{text}: {error}");
        }
    }

    #[test]
    fn partitions_cover_every_item_once() {
        let items: Vec<usize> = (0..10).collect();
        let mut seen = Vec::new();
        for index in 1..=3 {
            let shard = Partition { index, count: 3 }.select(items.clone());
            assert!((3..=4).contains(&shard.len()), "shard {index}: {shard:?}");
            seen.extend(shard);
        }
        seen.sort();
        assert_eq!(seen, items);
    }

    #[test]
    fn more_shards_than_items_leaves_some_empty() {
        let shard = Partition { index: 3, count: 3 }.select(vec!["a", "b"]);
        assert!(shard.is_empty());
    }

    #[test]
    fn directories_are_walked_sorted() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str| {
            let path = root.path().join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, "name: x\n").expect("write");
        };
        write("b.yaml");
        write("a.yml");
        write("sub/c.yaml");
        write("_shared/profile.yaml");
        write("notes.txt");

        let files = scenario_files(&[root.path().to_path_buf()]).expect("listed");

        let names: Vec<_> = files
            .iter()
            .map(|f| {
                f.strip_prefix(root.path())
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "sub/c.yaml"]);
    }

    #[test]
    fn missing_path_is_an_error() {
        let error =
            scenario_files(&[PathBuf::from("/nonexistent/scenarios")]).expect_err("missing");
        assert_eq!(error, "/nonexistent/scenarios: no such file or directory");
        let device = scenario_files(&[PathBuf::from("/dev/null")]).expect_err("a device");
        assert_eq!(
            device,
            "/dev/null: not a scenario file or a folder of them (a pipe, socket or device)"
        );
    }
}
