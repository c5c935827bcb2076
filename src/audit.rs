//! Audit log (stub, being written).
