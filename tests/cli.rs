//! The `veilgate` command as a user runs it: `mask` (character offsets, JSON Lines), a
//! missing ONNX Runtime library, `audit verify` on an intact and a tampered log (its chain key
//! found by `--key` or the configuration, its anchor catching cut records), `audit show` into
//! a pipe closed early, error messages, and `draft` with `VEILGATE_CONFIG`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn veilgate(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veilgate"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("veilgate runs");
    // A command that fails before reading its input (a bad configuration) may be gone by
    // the time this writes: a closed pipe is then expected, any other error is not.
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

const RULES_ONLY: (&str, &str) = ("VEILGATE__PRIVACY__TAGGER", "false");

/// An intact audit log of `records` answered chat requests in `dir`.
fn audit_log(dir: &tempfile::TempDir, records: usize) -> std::path::PathBuf {
    audit_log_with(dir, records, veilgate::audit::AuditConfig::default())
}

/// Like [`audit_log`], the rest of the settings from `cfg`.
fn audit_log_with(
    dir: &tempfile::TempDir,
    records: usize,
    cfg: veilgate::audit::AuditConfig,
) -> std::path::PathBuf {
    let path = dir.path().join("audit.jsonl");
    let log = veilgate::audit::AuditLog::open(&veilgate::audit::AuditConfig {
        path: Some(path.clone()),
        ..cfg
    })
    .unwrap()
    .unwrap();
    for i in 0..records {
        let mut r = veilgate::audit::AuditRecord::new(
            format!("req-{i}"),
            "chat.completions",
            "127.0.0.1:1",
        );
        r.status = 200;
        log.append(r).unwrap();
    }
    log.close().unwrap();
    path
}

#[test]
fn mask_reports_character_offsets_and_placeholders() {
    // Multi-byte characters before the e-mail: byte and character offsets differ.
    let text = "Grüße — write to zoë.roe@example-mail.com or zoë.roe@example-mail.com";
    let out = veilgate(&["mask"], &[RULES_ONLY], text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["masked"], "Grüße — write to [EMAIL_1] or [EMAIL_1]");
    let first = &v["entities"][0];
    assert_eq!(first["type"], "EMAIL");
    assert_eq!(first["placeholder"], "[EMAIL_1]");
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = (
        first["start"].as_u64().unwrap() as usize,
        first["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        chars[start..end].iter().collect::<String>(),
        "zoë.roe@example-mail.com"
    );
    assert!(first["score"].as_f64().unwrap() > 0.5);
    assert!(first["source"].as_str().unwrap().starts_with("rule:"));
}

#[test]
fn mask_jsonl_answers_each_line_with_its_id() {
    let input = "{\"id\": \"a\", \"text\": \"card 4111 1111 1111 1111\"}\n{\"id\": 7, \"text\": \"nothing here\"}\n";
    let out = veilgate(&["mask", "--jsonl"], &[RULES_ONLY], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["masked"], "card [CREDIT_CARD_1]");
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["entities"], serde_json::json!([]));
}

#[test]
fn a_missing_onnx_runtime_is_one_clear_error() {
    let out = veilgate(
        &["mask"],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.31.1")],
        "hello",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/libonnxruntime.so.1.31.1"),
        "{err}"
    );
    assert!(err.contains("scripts/setup-python.sh"), "{err}");
    assert!(
        err.contains("VEILGATE__PRIVACY__TAGGER=false VEILGATE__DRAFT__ENABLED=false"),
        "the message says how to run rules-only: {err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("veilgate:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn audit_verify_passes_an_intact_log_and_names_the_first_break() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_log(&dir, 3);
    let file = path.to_str().unwrap();
    let ok = veilgate(&["audit", "verify", file], &[], "");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let show = veilgate(&["audit", "show", file], &[], "");
    assert!(String::from_utf8_lossy(&show.stdout).contains("req-1"));

    let tampered =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("\"status\":200", "\"status\":201", 2);
    std::fs::write(&path, tampered).unwrap();
    let bad = veilgate(&["audit", "verify", file], &[], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout).contains("line 1"),
        "{}",
        String::from_utf8_lossy(&bad.stdout)
    );
}

#[test]
fn audit_verify_finds_the_chain_key_and_names_records_cut_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secrets").join("chain.key");
    let path = audit_log_with(
        &dir,
        3,
        veilgate::audit::AuditConfig {
            chain_key_file: Some(key.clone()),
            ..Default::default()
        },
    );
    let (file, key) = (path.to_str().unwrap(), key.to_str().unwrap());
    let stdout = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();

    // Not beside the log: without the key nothing is verified, and that is no pass.
    let keyless = veilgate(&["audit", "verify", file], &[], "");
    assert_eq!(keyless.status.code(), Some(2));
    let err = String::from_utf8_lossy(&keyless.stderr);
    assert!(
        err.contains("audit.jsonl.chain.key") && err.contains("--key"),
        "{err}"
    );
    let ok = veilgate(&["audit", "verify", "--key", key, file], &[], "");
    assert!(ok.status.success(), "{}", stdout(&ok));
    assert!(stdout(&ok).starts_with("OK: 3 records, chain intact"));
    // The writer's configuration names it too.
    let configured = veilgate(
        &["audit", "verify", file],
        &[("VEILGATE__AUDIT__CHAIN_KEY_FILE", key)],
        "",
    );
    assert!(configured.status.success(), "{}", stdout(&configured));

    let text = std::fs::read_to_string(&path).unwrap();
    let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, cut).unwrap();
    let bad = veilgate(&["audit", "verify", "--key", key, file], &[], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with(
            "BROKEN at line 3: the file ends after 2 records but its anchor records 3"
        ),
        "{}",
        stdout(&bad)
    );
}

#[test]
fn audit_verify_rotated_still_catches_records_cut_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = audit_log(&dir, 3);
    let file = path.to_str().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let cut: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, cut).unwrap();
    let out = veilgate(&["audit", "verify", "--rotated", file], &[], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("BROKEN at line 1: no file the anchor knows starts"),
        "{stdout}"
    );
}

#[test]
fn an_os_error_says_its_text_once() {
    let out = veilgate(&["audit", "verify", "/nonexistent/audit.jsonl"], &[], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.contains("/nonexistent/audit.jsonl"), "{err}");
}

#[test]
fn audit_show_into_a_reader_that_stops_early_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    // Far more than a pipe holds, so `show` is still writing when the reader goes.
    let path = audit_log(&dir, 3000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_veilgate"))
        .args(["audit", "show", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take()); // `| head -c 64`
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn draft_reads_the_configuration_named_by_veilgate_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("veilgate.toml");
    std::fs::write(&config, "[draft]\nmodel = \"/nonexistent/draft-model\"\n").unwrap();
    let out = veilgate(
        &["draft"],
        &[("VEILGATE_CONFIG", config.to_str().unwrap())],
        "Hello",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/draft-model"), "{err}");
}
