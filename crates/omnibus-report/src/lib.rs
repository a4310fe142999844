//! Omnibus reports (work in progress).
