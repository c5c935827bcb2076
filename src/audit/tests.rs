use super::*;
use serde_json::{json, Value};
use std::collections::HashSet;

mod tamper;

fn config(dir: &Path) -> AuditConfig {
    AuditConfig {
        path: Some(dir.join("logs").join("audit.jsonl")),
        ..AuditConfig::default()
    }
}

fn open(cfg: &AuditConfig) -> AuditLog {
    AuditLog::open(cfg).unwrap().expect("audit on")
}

fn record(i: usize) -> AuditRecord {
    let mut r = AuditRecord::new(format!("req-{i}"), "/v1/chat/completions", "127.0.0.1:5000");
    r.model = Some("gpt-4o".into());
    r.status = 200;
    r.entities.insert("EMAIL".into(), 1);
    r.entities.insert("PERSON".into(), 2);
    r.masked_request = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Write to [EMAIL_1]\nfor [PERSON_1]"}]}
        ]
    });
    r.timings = Timings {
        mask_ms: 1.25,
        draft_first_token_ms: None,
        upstream_first_byte_ms: Some(600.0),
        total_ms: 901.5,
    };
    r
}

fn write_n(cfg: &AuditConfig, range: std::ops::Range<usize>) {
    let log = open(cfg);
    for i in range {
        log.append(record(i)).unwrap();
    }
    log.close().unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn log_path(cfg: &AuditConfig) -> PathBuf {
    cfg.path.clone().unwrap()
}

/// The chain key the writer created for `cfg`.
fn chain_key(cfg: &AuditConfig) -> ChainKey {
    ChainKey::new(&keys::read(&cfg.chain_key_path().unwrap()).unwrap())
}

/// Replaces a file's lines (each with its `\n`).
fn rewrite(path: &Path, lines: &[String]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fs::write(path, text).unwrap();
}

/// Verifies a file that continues a rotated one.
fn verify_rotated(path: &Path) -> VerifyReport {
    let opts = VerifyOptions {
        rotated: true,
        ..VerifyOptions::default()
    };
    verify_with(path, &opts).unwrap()
}

#[test]
fn appended_records_are_json_lines_with_a_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..5);
    let lines = lines(&log_path(&cfg));
    assert_eq!(lines.len(), 5);
    let mut prev = GENESIS_PREV.to_string();
    for (i, line) in lines.iter().enumerate() {
        let r: AuditRecord = serde_json::from_str(line).unwrap();
        assert_eq!(r.request_id, format!("req-{i}"));
        assert_eq!(r.prev, prev);
        assert_eq!(r.hash.len(), 64);
        prev = r.hash;
    }
    let report = verify(&log_path(&cfg)).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 5);
    assert_eq!(report.first_prev.as_deref(), Some(GENESIS_PREV));
    assert_eq!(report.last_hash, Some(prev));
    assert!(report
        .to_string()
        .starts_with("OK: 5 records, chain intact"));
}

#[test]
fn line_hash_follows_the_documented_recipe() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..2);
    let key_hex = fs::read_to_string(cfg.chain_key_path().unwrap()).unwrap();
    let key = hex::decode(key_hex.trim()).unwrap();
    for line in lines(&log_path(&cfg)) {
        // Recipe 1–3 done on bytes, as an auditor in another language would.
        let cut = line.rfind(",\"hash\":\"").unwrap();
        assert_eq!(line.len() - cut, 75);
        let hash = &line[cut + 9..cut + 73];
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}}}", &line[..cut]).as_bytes());
        assert_eq!(hex::encode(mac.finalize().into_bytes()), hash);
        // The same bytes are the serde_json serialisation of the record without `hash`.
        let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v.as_object_mut().unwrap().remove("hash");
        assert_eq!(
            serde_json::to_vec(&v).unwrap(),
            format!("{}}}", &line[..cut]).into_bytes()
        );
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.first().unwrap().as_str(), "ts");
        assert_eq!(keys.last().unwrap().as_str(), "prev");
    }
}

#[test]
fn tampering_with_a_middle_record_breaks_at_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..5);
    let path = log_path(&cfg);
    let mut lines = lines(&path);
    lines[2] = lines[2].replace("\"status\":200", "\"status\":500");
    rewrite(&path, &lines);
    let report = verify(&path).unwrap();
    let b = report.first_break.clone().unwrap();
    assert_eq!((b.line, b.reason.as_str()), (3, "hash mismatch"));
    assert_eq!(report.records, 5);
    assert!(report
        .to_string()
        .starts_with("BROKEN at line 3: hash mismatch"));
}

#[test]
fn deleting_a_line_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..5);
    let path = log_path(&cfg);
    let mut lines = lines(&path);
    lines.remove(3);
    rewrite(&path, &lines);
    let b = verify(&path).unwrap().first_break.unwrap();
    assert_eq!(b.line, 4);
    assert_eq!(b.reason, "prev does not match line 3's hash");
}

#[test]
fn garbage_line_is_reported_as_not_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..2);
    let path = log_path(&cfg);
    let mut lines = lines(&path);
    lines.insert(1, "{oops".into());
    rewrite(&path, &lines);
    let b = verify(&path).unwrap().first_break.unwrap();
    assert_eq!((b.line, b.reason.as_str()), (2, "not valid JSON"));
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..3);
    write_n(&cfg, 3..6);
    let report = verify(&log_path(&cfg)).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 6);
}

#[test]
fn reopening_a_complete_line_without_newline_continues_on_a_new_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..1);
    // A crash cut the second record's write just before its `\n`, ahead of the anchor.
    let anchor = with_suffix(&log_path(&cfg), ".anchor");
    let lagging = fs::read(&anchor).unwrap();
    write_n(&cfg, 1..2);
    fs::write(&anchor, lagging).unwrap();
    let path = log_path(&cfg);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.trim_end()).unwrap();
    write_n(&cfg, 2..3);
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 3);
}

#[test]
fn corrupt_last_line_is_a_startup_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..2);
    // A crash: the anchor still says 2 records, the third was cut short mid-write.
    let anchor = with_suffix(&log_path(&cfg), ".anchor");
    let lagging = fs::read(&anchor).unwrap();
    write_n(&cfg, 2..3);
    fs::write(&anchor, lagging).unwrap();
    let path = log_path(&cfg);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, &text[..text.len() - 20]).unwrap();
    let err = AuditLog::open(&cfg).unwrap_err();
    assert!(
        matches!(err, AuditError::Corrupt { line: 3, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("audit.jsonl, line 3"), "{msg}");
    assert!(msg.contains("incomplete write"), "{msg}");
}

#[test]
fn rotation_keeps_n_files_and_the_chain_continues_across_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    let one_line = {
        let probe = tempfile::tempdir().unwrap();
        let probe_cfg = config(probe.path());
        write_n(&probe_cfg, 0..1);
        fs::metadata(log_path(&probe_cfg)).unwrap().len()
    };
    // Room for about two records per file.
    cfg.max_bytes = one_line * 2 + one_line / 2;
    cfg.keep = 2;
    write_n(&cfg, 0..9);
    let path = log_path(&cfg);
    let older = with_suffix(&path, ".2");
    let newer = with_suffix(&path, ".1");
    assert!(!with_suffix(&path, ".3").exists(), "keep = 2 is honoured");
    let files = [&older, &newer, &path];
    // The oldest kept file continues one rotation deleted: only with --rotated. The newer
    // ones have their predecessor beside them.
    assert!(!verify(&older).unwrap().is_ok());
    let reports = [
        verify_rotated(&older),
        verify(&newer).unwrap(),
        verify(&path).unwrap(),
    ];
    for (file, r) in files.iter().zip(&reports) {
        assert!(r.is_ok(), "{r}");
        assert!(fs::metadata(file).unwrap().len() <= cfg.max_bytes);
    }
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 5);
    assert_eq!(reports[1].first_prev, reports[0].last_hash);
    assert_eq!(reports[2].first_prev, reports[1].last_hash);
    assert!(reports[2].to_string().contains("continues from prev"));
    let last: AuditRecord = serde_json::from_str(lines(&path).last().unwrap()).unwrap();
    assert_eq!(last.request_id, "req-8");
}

#[test]
fn reopening_an_empty_file_continues_from_the_rotated_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    write_n(&cfg, 0..2);
    let path = log_path(&cfg);
    fs::rename(&path, with_suffix(&path, ".1")).unwrap();
    write_n(&cfg, 2..3);
    let rotated = verify(&with_suffix(&path, ".1")).unwrap();
    assert!(rotated.is_ok(), "{rotated}");
    let current = verify(&path).unwrap();
    assert!(current.is_ok(), "{current}");
    assert_eq!(current.first_prev, rotated.last_hash);
}

#[test]
fn key_file_is_private_and_reused_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let first = open(&cfg).digest("alice@example.com");
    let key_path = with_suffix(&log_path(&cfg), ".key");
    let key = fs::read_to_string(&key_path).unwrap();
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = open(&cfg);
    assert_eq!(log.digest("alice@example.com"), first);
    assert_ne!(log.digest("bob@example.com"), first);
    assert_eq!(fs::read_to_string(&key_path).unwrap(), key);
}

#[test]
fn digest_differs_with_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = config(dir.path());
    let mut b = config(dir.path());
    b.path = Some(dir.path().join("other.jsonl"));
    b.key_file = Some(dir.path().join("keys").join("other.key"));
    let (log_a, log_b) = (open(&a), open(&b));
    assert_ne!(log_a.digest("Jane Roe"), log_b.digest("Jane Roe"));
    assert!(dir.path().join("keys/other.key").exists());
}

#[test]
fn short_key_file_is_refused_without_revealing_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    let key_path = dir.path().join("short.key");
    fs::write(&key_path, "abcd\n").unwrap();
    cfg.key_file = Some(key_path);
    let err = AuditLog::open(&cfg).unwrap_err().to_string();
    assert!(err.contains("short.key"), "{err}");
    assert!(!err.contains("abcd"), "{err}");
}

#[test]
fn placeholders_hold_digests_and_no_raw_value_reaches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let log = open(&cfg);
    let mut r = record(0);
    r.placeholders = log.digest_placeholders([
        ("[EMAIL_1]", "alice.secret@example.com"),
        ("[PERSON_1]", "Alice Wonderland"),
    ]);
    assert_eq!(
        r.placeholders["[EMAIL_1]"],
        log.digest("alice.secret@example.com")
    );
    log.append(r).unwrap();
    log.close().unwrap();
    let bytes = fs::read(log_path(&cfg)).unwrap();
    for raw in ["alice.secret@example.com", "Alice Wonderland"] {
        assert!(!bytes.windows(raw.len()).any(|w| w == raw.as_bytes()));
    }
    let line: AuditRecord = serde_json::from_slice(&bytes[..bytes.len() - 1]).unwrap();
    assert_eq!(line.placeholders.len(), 2);
    assert!(line.placeholders.values().all(|d| d.len() == 64));
}

#[test]
fn show_prints_request_id_entity_counts_and_texts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let log = open(&cfg);
    let mut r = record(7);
    r.placeholders = log.digest_placeholders([("[EMAIL_1]", "a@b.example")]);
    r.error = Some("upstream timeout".into());
    log.append(r).unwrap();
    let mut drafted = record(9);
    let opener =
        "Sure, here is a plan for [PERSON_1] that covers every step of the move. ".repeat(4);
    drafted.draft = Some(serde_json::json!({
        "outcome": "continued",
        "continuation_request": {"messages": [
            {"role": "user", "content": "Plan the move for [PERSON_1]"},
            {"role": "assistant", "content": opener}
        ]}
    }));
    log.append(drafted).unwrap();
    let mut nothing_sent = record(8);
    nothing_sent.masked_request = Value::Null;
    nothing_sent.status = 503;
    log.append(nothing_sent).unwrap();
    log.close().unwrap();
    let mut out = Vec::new();
    show(&log_path(&cfg), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for expected in [
        "request req-7",
        "EMAIL 1, PERSON 2",
        "[EMAIL_1]=",
        "user: Write to [EMAIL_1]⏎for [PERSON_1]",
        "system: Be brief.",
        "error         upstream timeout",
        "upstream first byte 600.0 ms",
        "status 503",
        "sent          nothing",
        "continuation sent",
        // The continuation in full, however long.
        &format!("assistant: {opener}"),
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn concurrent_appends_are_all_written_once_with_a_valid_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.fsync_every = 1000;
    let log = open(&cfg);
    let (threads, per_thread) = (8, 750);
    std::thread::scope(|s| {
        for t in 0..threads {
            let log = log.clone();
            s.spawn(move || {
                for i in 0..per_thread {
                    log.append(record(t * per_thread + i)).unwrap();
                }
            });
        }
    });
    log.flush().unwrap();
    let report = verify(&log_path(&cfg)).unwrap();
    assert!(report.is_ok(), "{report}");
    let ids: Vec<String> = lines(&log_path(&cfg))
        .iter()
        .map(|l| serde_json::from_str::<AuditRecord>(l).unwrap().request_id)
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), threads * per_thread);
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn records_reach_the_os_without_an_explicit_flush() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let log = open(&cfg);
    log.append(record(0)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while fs::metadata(log_path(&cfg)).unwrap().len() == 0 {
        assert!(std::time::Instant::now() < deadline, "record never written");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn opening_a_log_twice_in_one_process_is_refused_until_closed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let first = open(&cfg);
    let mut same = cfg.clone();
    same.path = Some(dir.path().join("logs/../logs/audit.jsonl"));
    let err = AuditLog::open(&same).unwrap_err();
    assert!(matches!(err, AuditError::AlreadyOpen(_)), "{err:?}");
    first.close().unwrap();
    open(&cfg).close().unwrap();
}

#[test]
fn empty_ts_is_stamped_by_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let log = open(&cfg);
    log.append(AuditRecord::default()).unwrap();
    log.close().unwrap();
    let r: AuditRecord = serde_json::from_str(&lines(&log_path(&cfg))[0]).unwrap();
    assert_eq!(r.ts.len(), "2024-01-01T00:00:00.000Z".len());
    assert!(r.ts.ends_with('Z'));
}

#[test]
fn audit_is_off_without_a_path() {
    assert!(AuditLog::open(&AuditConfig::default()).unwrap().is_none());
}

#[test]
fn config_reads_humane_keys() {
    let cfg: AuditConfig = toml::from_str(
        "path = \"/var/log/veilgate/audit.jsonl\"\nmax_bytes = 1000\nkeep = 2\n\
         fsync_every = 8\nfsync_interval_ms = 250\n",
    )
    .unwrap();
    assert_eq!(cfg.fsync_interval, Duration::from_millis(250));
    assert_eq!((cfg.max_bytes, cfg.keep, cfg.fsync_every), (1000, 2, 8));
    assert_eq!(
        cfg.key_path().unwrap(),
        PathBuf::from("/var/log/veilgate/audit.jsonl.key")
    );
    assert_eq!(
        cfg.chain_key_path().unwrap(),
        PathBuf::from("/var/log/veilgate/audit.jsonl.chain.key")
    );
    let defaults: AuditConfig = toml::from_str("").unwrap();
    assert_eq!(defaults, AuditConfig::default());
    assert!(toml::from_str::<AuditConfig>("pth = \"x\"").is_err());
}

#[test]
fn rfc3339_formats_known_instants() {
    let at = |secs: u64, ms: u64| {
        rfc3339_millis(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
    };
    assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
    assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.007Z");
    assert_eq!(at(1_700_000_000, 123), "2023-11-14T22:13:20.123Z");
    assert_eq!(at(1_709_164_800, 999), "2024-02-29T00:00:00.999Z");
    assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
    assert_eq!(at(253_402_300_799, 0), "9999-12-31T23:59:59.000Z");
}

#[test]
fn civil_from_days_agrees_with_counting_days() {
    let (mut y, mut m, mut d) = (1970, 1, 1);
    for days in 0..150_000 {
        assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let len = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        d += 1;
        if d > len[m as usize - 1] {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn write_failure_is_reported_to_appenders_not_swallowed() {
    // /dev/full accepts the open and fails every write with ENOSPC: a full disk on demand.
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Through a link, so that keys and anchor land in the temporary folder, not in /dev.
    let path = dir.path().join("full.jsonl");
    std::os::unix::fs::symlink("/dev/full", &path).unwrap();
    let cfg = AuditConfig {
        path: Some(path),
        ..AuditConfig::default()
    };
    let log = open(&cfg);
    log.append(record(0)).unwrap();
    let err = log.flush().unwrap_err();
    assert!(matches!(err, AuditError::WriterFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("full.jsonl"), "{err}");
    assert!(log.append(record(1)).is_err());
}
