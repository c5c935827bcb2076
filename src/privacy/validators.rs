//! Checksum and format validators (stub, being written).
