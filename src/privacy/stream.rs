//! Unmasking streamed text (stub, being written).
