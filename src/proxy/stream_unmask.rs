//! Rewriting streamed replies (stub, being written).
