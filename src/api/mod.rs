//! Wire formats of the OpenAI and Anthropic APIs.
pub mod sse;
