//! Where tests and benchmarks find the large public city data that is not
//! copied into the repository: `../shared/data` beside the workspace, or the
//! directory `$OMNIBUS_SHARED_DATA` names.

use std::path::PathBuf;

/// The shared data directory (which may not exist).
pub fn root() -> PathBuf {
    std::env::var_os("OMNIBUS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// `rel` under [`root`].
///
/// # Panics
/// If it does not exist, naming the path: a test that needs the data fails
/// rather than skips.
pub fn path(rel: &str) -> PathBuf {
    let path = root().join(rel);
    assert!(path.exists(), "{} is missing: this needs the shared city data", path.display());
    path
}
