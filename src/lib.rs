//! veilgate: a local privacy proxy for cloud LLM APIs.
//!
//! # Layout
//!
//! - [`config`]: one TOML file plus `VEILGATE__SECTION__KEY` overrides; defaults need no file.
//! - [`api`]: the wire formats: routes, which strings of a body leave as text (all but a
//!   reviewed few: [`api::walk`]),
//!   Server-Sent Events framing ([`api::sse`]).
//! - [`privacy`]: finding personal data and swapping it for placeholders: detectors
//!   ([`privacy::rules`], [`privacy::dictionary`], [`privacy::tagger`]) behind the
//!   [`privacy::Detector`] seam, overlap [`privacy::fusion`], the everyday words no detector
//!   may take for a name ([`privacy::everyday`]), the per-request [`privacy::Vault`], and
//!   unmasking of streamed text ([`privacy::stream`]); detectors read a normalised copy of
//!   each text ([`privacy::normalise`]). Pure logic, no I/O.
//! - [`proxy`]: the HTTP side: listener and routing ([`proxy::Server`]) with optional TLS
//!   ([`proxy::tls`]) and local access token ([`proxy::auth`]), the request's phases in one
//!   place ([`proxy::pipeline`]), the upstream client ([`proxy::upstream`]), rewriting
//!   streamed replies ([`proxy::stream_unmask`]), and the loopback stand-in for the cloud of
//!   `--upstream demo` ([`proxy::demo`]).
//! - [`draft`]: the micro draft model that writes a streamed reply's first words locally,
//!   and which prompts an opener fits ([`draft::fit`]).
//! - [`audit`]: the JSON Lines audit log, chained with a keyed hash and anchored at both
//!   ends, and its `verify`/`show`.
//! - [`metrics`]: the counters and histograms of `GET /metrics` (Prometheus text).
//! - [`onnx`]: the ONNX Runtime library and session options shared by the models.
//! - [`panic_hook`]: panics report where they happened, never their message (it may quote
//!   request text).
//! - [`mask_cli`]: `veilgate mask`, the detectors on stdin; [`draft_cli`]: `veilgate draft`.
//!
//! Arrows point one way: `proxy` uses `api`, `privacy` and `audit`; `privacy` and `api`
//! know nothing of HTTP.

pub mod api;
pub mod audit;
pub mod config;
pub mod draft;
pub mod draft_cli;
pub mod mask_cli;
pub mod metrics;
pub mod onnx;
pub mod panic_hook;
pub mod privacy;
pub mod proxy;
