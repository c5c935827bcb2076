//! veilgate: a local privacy proxy for cloud LLM APIs.
pub mod api;
pub mod audit;
pub mod privacy;
pub mod proxy;
