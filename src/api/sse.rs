//! Incremental Server-Sent Events parser and writer (stub, being written).
