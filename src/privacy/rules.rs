//! Regex rules with validators (stub, being written).
