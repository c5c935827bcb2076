//! `veilgate health`, the container health check: exit 0 when /healthz answers 200 (URL
//! given, or derived from `server.listen`), 1 with a reason when nothing answers.

mod common;

use common::serve::{run_to_exit, ServeProcess};

#[test]
fn health_passes_against_a_running_proxy_and_fails_without_one() {
    let proxy = ServeProcess::start(
        &["--upstream", "demo"],
        &[("VEILGATE__PRIVACY__TAGGER", "false")],
    )
    .unwrap_or_else(|(status, out)| panic!("veilgate exited with {status}:\n{out}"));
    let url = proxy.url("/healthz");
    let (status, out) = run_to_exit(&["health", "--url", &url], &[]);
    assert!(status.success(), "{out}");
    // As in the image: no --url, the port comes from server.listen (0.0.0.0 → 127.0.0.1).
    let port = proxy.root.rsplit(':').next().unwrap().to_string();
    let listen = format!("0.0.0.0:{port}");
    let (status, out) = run_to_exit(&["health"], &[("VEILGATE__SERVER__LISTEN", &listen)]);
    assert!(status.success(), "{out}");
    assert!(
        out.contains(&format!("http://127.0.0.1:{port}/healthz")),
        "{out}"
    );
    let (status, out) = run_to_exit(&["health", "--url", &proxy.url("/v1/nowhere")], &[]);
    assert_eq!(status.code(), Some(1), "a 404 is not healthy: {out}");
    drop(proxy.stop());

    let (status, out) = run_to_exit(&["health", "--url", &url], &[]);
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(out.contains(&url) && out.contains("connect"), "{out}");
}
