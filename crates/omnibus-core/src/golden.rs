//! Golden files for tests: compare what a test produced with the file kept
//! in the repository, or rewrite the file when `UPDATE_GOLDEN=1` is set
//! (the only way golden files change: never by editing code to match).

use std::path::Path;

/// Checks `got` against the golden file at `path`; `what` names the output
/// in the failure ("the report", "journeys"). With `UPDATE_GOLDEN` set it
/// writes `got` to `path` instead.
///
/// # Panics
/// When the file is missing or differs: the message names the first line
/// that differs, with both versions of it.
#[track_caller]
pub fn check(path: &Path, got: &str, what: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, got).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let want = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    if let Some(line) = first_difference(got, &want) {
        panic!(
            "{what}: {} differs at line {}:\n  got:  {}\n  want: {}\n\
             (UPDATE_GOLDEN=1 regenerates it after a deliberate change)",
            path.display(),
            line + 1,
            got.lines().nth(line).unwrap_or(""),
            want.lines().nth(line).unwrap_or("")
        );
    }
}

/// The 0-based line where `got` and `want` first differ; `None` when equal.
fn first_difference(got: &str, want: &str) -> Option<usize> {
    if got == want {
        return None;
    }
    let common = got.lines().zip(want.lines()).position(|(a, b)| a != b);
    // Equal up to the shorter one: they differ where it ends.
    Some(common.unwrap_or_else(|| got.lines().count().min(want.lines().count())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_differing_line_is_found() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
        assert_eq!(first_difference("a\nb\nc", "a\nx\nc"), Some(1));
        assert_eq!(first_difference("a\nb", "a\nb\nc"), Some(2));
        assert_eq!(first_difference("a\nb\n", "a\nb"), Some(2));
    }

    #[test]
    #[should_panic(expected = "journeys: ")]
    fn a_difference_fails_naming_the_line() {
        let dir = std::env::temp_dir().join(format!("omnibus-golden-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("g.txt");
        std::fs::write(&path, "a\nb\n").unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            panic!("journeys: not compared under UPDATE_GOLDEN");
        }
        check(&path, "a\nc\n", "journeys");
    }
}
