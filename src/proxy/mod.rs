//! The HTTP proxy: listener, routing, the request pipeline, the upstream client.
pub mod stream_unmask;
