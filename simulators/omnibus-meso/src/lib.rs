//! Omnibus mesoscopic traffic model (work in progress).
