//! Omnibus city simulator (work in progress).
