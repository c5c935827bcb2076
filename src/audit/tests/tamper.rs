//! What an attacker without the chain key might do to a log, and what a crash does to it:
//! the first must fail `verify`, the second must not.

use super::*;
use crate::audit::anchor::{self, Anchor};

/// A log of `n` records in `dir`, closed (so fully anchored).
fn written(dir: &Path, n: usize) -> (AuditConfig, PathBuf) {
    let cfg = config(dir);
    write_n(&cfg, 0..n);
    let path = log_path(&cfg);
    (cfg, path)
}

fn anchor_path(path: &Path) -> PathBuf {
    with_suffix(path, ".anchor")
}

/// The first break as (line, reason).
fn first_break(report: &VerifyReport) -> (u64, String) {
    let b = report
        .first_break
        .clone()
        .unwrap_or_else(|| panic!("no break: {report}"));
    (b.line, b.reason)
}

/// Re-links and re-hashes `lines[from..]` after an edit, the hash made by `tag`: what an
/// attacker does to hide the edit.
fn rechain(lines: &mut [String], from: usize, tag: impl Fn(&[u8]) -> String) {
    for i in from..lines.len() {
        let line = &lines[i];
        let cut = line.rfind(",\"hash\":\"").unwrap();
        // `…,"prev":"<64 hex>"` ends the record before its hash.
        let mut head = line[..cut - 65].to_string();
        let prev = if i == 0 {
            line[cut - 65..cut - 1].to_string()
        } else {
            let before = &lines[i - 1];
            before[before.len() - 66..before.len() - 2].to_string()
        };
        head.push_str(&prev);
        head.push('"');
        let hash = tag(format!("{head}}}").as_bytes());
        lines[i] = format!("{head},\"hash\":\"{hash}\"}}");
    }
}

fn plain_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn rechain_with_the_real_key_reproduces_the_log() {
    // The attack helper itself is right: with the key it rebuilds exactly what was written.
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 4);
    let original = lines(&path);
    let mut rebuilt = original.clone();
    let key = chain_key(&cfg);
    rechain(&mut rebuilt, 0, |b| key.tag(b));
    assert_eq!(rebuilt, original);
}

#[test]
fn cutting_the_last_records_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 5);
    let mut lines = lines(&path);
    lines.truncate(3);
    rewrite(&path, &lines);
    let report = verify(&path).unwrap();
    let (line, reason) = first_break(&report);
    assert_eq!(line, 4);
    assert!(
        reason.starts_with("the file ends after 3 records but its anchor records 5"),
        "{reason}"
    );
}

#[test]
fn cutting_the_first_records_is_caught_even_when_called_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 5);
    let mut lines = lines(&path);
    lines.drain(..2);
    rewrite(&path, &lines);
    // Claiming a rotation does not help: no anchored file starts there.
    for report in [verify(&path).unwrap(), verify_rotated(&path)] {
        let (line, reason) = first_break(&report);
        assert_eq!(line, 1);
        assert!(
            reason.starts_with("no file the anchor knows starts"),
            "{reason}"
        );
    }
}

#[test]
fn an_emptied_file_is_caught_by_its_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 3);
    fs::write(&path, "").unwrap();
    let report = verify(&path).unwrap();
    assert_eq!(
        first_break(&report),
        (
            1,
            "the file is empty but its anchor records 3 records".to_string()
        )
    );
    assert!(report
        .to_string()
        .starts_with("BROKEN at line 1: the file is empty"));
}

#[test]
fn an_emptied_file_with_its_anchor_deleted_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 3);
    fs::write(&path, "").unwrap();
    fs::remove_file(anchor_path(&path)).unwrap();
    let report = verify(&path).unwrap();
    let (line, reason) = first_break(&report);
    assert_eq!(line, 0);
    assert!(reason.contains("audit.jsonl.anchor is missing"), "{reason}");
    assert!(report.to_string().starts_with("BROKEN: anchor"), "{report}");
}

#[test]
fn an_empty_log_that_never_held_records_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 0);
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.records, 0);
}

#[test]
fn a_chain_recomputed_with_plain_sha256_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 5);
    let mut lines = lines(&path);
    lines[2] = lines[2].replace("\"status\":200", "\"status\":500");
    rechain(&mut lines, 2, plain_sha256);
    rewrite(&path, &lines);
    assert_eq!(
        first_break(&verify(&path).unwrap()),
        (3, "hash mismatch".to_string())
    );
}

#[test]
fn a_chain_and_anchor_recomputed_with_another_key_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 5);
    let forged = ChainKey::new(&[7u8; 32]);
    let mut lines = lines(&path);
    lines[1] = lines[1].replace("\"status\":200", "\"status\":500");
    lines.truncate(4);
    rechain(&mut lines, 1, |b| forged.tag(b));
    rewrite(&path, &lines);
    // The attacker's anchor agrees with the forged log, but under the wrong key.
    let mut fake = anchor::load(&anchor_path(&path), &chain_key(&cfg))
        .unwrap()
        .unwrap();
    let segment = fake.current_mut();
    segment.records = 4;
    segment.bytes = fs::metadata(&path).unwrap().len();
    let last = lines.last().unwrap();
    segment.last_hash = last[last.len() - 66..last.len() - 2].to_string();
    anchor::store(&anchor_path(&path), &fake, &forged).unwrap();

    let report = verify(&path).unwrap();
    let (line, reason) = first_break(&report);
    assert_eq!(line, 0, "the anchor is the first break: {report}");
    assert!(reason.contains("mac mismatch"), "{reason}");
    // With the anchor restored, the records themselves fail from the edit on.
    let mut real = fake.clone();
    real.current_mut().records = 5;
    anchor::store(&anchor_path(&path), &real, &chain_key(&cfg)).unwrap();
    assert_eq!(
        first_break(&verify(&path).unwrap()),
        (2, "hash mismatch".to_string())
    );
}

#[test]
fn reordered_records_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = written(dir.path(), 5);
    let mut lines = lines(&path);
    lines.swap(2, 3);
    rewrite(&path, &lines);
    assert_eq!(
        first_break(&verify(&path).unwrap()),
        (3, "prev does not match line 2's hash".to_string())
    );
}

#[test]
fn an_edited_anchor_is_caught_and_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 3);
    let text = fs::read_to_string(anchor_path(&path)).unwrap();
    fs::write(
        anchor_path(&path),
        text.replace("\"records\":3", "\"records\":2"),
    )
    .unwrap();
    let (line, reason) = first_break(&verify(&path).unwrap());
    assert_eq!(line, 0);
    assert!(reason.contains("mac mismatch"), "{reason}");
    let err = AuditLog::open(&cfg).unwrap_err();
    assert!(matches!(err, AuditError::Anchor { .. }), "{err:?}");
}

/// A rotated log: `.2`, `.1` and the current file, two records each at most.
fn rotated_log(dir: &Path) -> (AuditConfig, PathBuf) {
    let mut cfg = config(dir);
    let one_line = {
        let probe = tempfile::tempdir().unwrap();
        let (_, path) = written(probe.path(), 1);
        fs::metadata(path).unwrap().len()
    };
    cfg.max_bytes = one_line * 2 + one_line / 2;
    cfg.keep = 2;
    write_n(&cfg, 0..9);
    let path = log_path(&cfg);
    (cfg, path)
}

#[test]
fn a_non_genesis_start_needs_rotated_or_its_predecessor() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = rotated_log(dir.path());
    let (oldest, newer) = (with_suffix(&path, ".2"), with_suffix(&path, ".1"));
    // The oldest kept file's predecessor was deleted by rotation.
    let (line, reason) = first_break(&verify(&oldest).unwrap());
    assert_eq!(line, 1);
    assert!(reason.contains("pass --rotated"), "{reason}");
    let report = verify_rotated(&oldest);
    assert!(report.is_ok(), "{report}");
    assert!(report.to_string().contains("continues from prev"));
    // Once its predecessor is gone, the current file needs --rotated too.
    assert!(verify(&path).unwrap().is_ok());
    fs::remove_file(&newer).unwrap();
    assert!(!verify(&path).unwrap().is_ok());
    assert!(verify_rotated(&path).is_ok());
}

#[test]
fn a_rotated_file_cut_or_emptied_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = rotated_log(dir.path());
    let newer = with_suffix(&path, ".1");
    let full = lines(&newer);
    rewrite(&newer, &full[..1]);
    let (line, reason) = first_break(&verify(&newer).unwrap());
    assert_eq!(line, 2);
    assert!(
        reason.starts_with("the file ends after 1 records"),
        "{reason}"
    );
    // The current file, which chains from `.1`'s real end, no longer finds it there.
    assert!(!verify(&path).unwrap().is_ok());
    fs::write(&newer, "").unwrap();
    let (line, reason) = first_break(&verify(&newer).unwrap());
    assert_eq!(line, 1);
    assert!(
        reason.contains("rotated file always holds records"),
        "{reason}"
    );
}

#[test]
fn records_appended_to_a_rotated_file_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = rotated_log(dir.path());
    let newer = with_suffix(&path, ".1");
    // The current file's records chain on from `.1`; moved onto its end they still chain.
    let mut joined = lines(&newer);
    joined.extend(lines(&path));
    rewrite(&newer, &joined);
    let (line, reason) = first_break(&verify(&newer).unwrap());
    assert_eq!(line, 3);
    assert!(reason.contains("closed this file at rotation"), "{reason}");
}

#[test]
fn files_are_created_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = rotated_log(dir.path());
    for file in [
        path.clone(),
        with_suffix(&path, ".1"),
        with_suffix(&path, ".2"),
        anchor_path(&path),
        cfg.key_path().unwrap(),
        cfg.chain_key_path().unwrap(),
    ] {
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[test]
fn wider_modes_left_by_others_are_narrowed_at_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 2);
    let files = [
        path.clone(),
        anchor_path(&path),
        cfg.chain_key_path().unwrap(),
    ];
    for file in &files {
        fs::set_permissions(file, fs::Permissions::from_mode(0o644)).unwrap();
    }
    open(&cfg).close().unwrap();
    for file in &files {
        let mode = fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

#[test]
fn verify_without_the_chain_key_is_an_error_and_with_the_wrong_key_a_break() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 2);
    let key_file = cfg.chain_key_path().unwrap();
    let moved = dir.path().join("elsewhere.key");
    fs::rename(&key_file, &moved).unwrap();
    let err = verify(&path).unwrap_err();
    assert!(matches!(err, AuditError::Key { .. }), "{err:?}");
    assert!(err.to_string().contains("--key"), "{err}");
    let with_key = VerifyOptions {
        key_file: Some(moved),
        ..VerifyOptions::default()
    };
    assert!(verify_with(&path, &with_key).unwrap().is_ok());
    // Another key: the anchor fails first, then every record.
    let wrong = dir.path().join("wrong.key");
    fs::write(&wrong, format!("{}\n", "ab".repeat(32))).unwrap();
    let with_wrong = VerifyOptions {
        key_file: Some(wrong),
        ..VerifyOptions::default()
    };
    let (line, reason) = first_break(&verify_with(&path, &with_wrong).unwrap());
    assert_eq!(line, 0);
    assert!(reason.contains("mac mismatch"), "{reason}");
}

#[test]
fn the_chain_key_is_not_the_digest_key() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = written(dir.path(), 1);
    let digest = fs::read_to_string(cfg.key_path().unwrap()).unwrap();
    let chain = fs::read_to_string(cfg.chain_key_path().unwrap()).unwrap();
    assert_ne!(digest, chain);
    let mut same = cfg.clone();
    same.chain_key_file = cfg.key_path();
    let err = AuditLog::open(&same).unwrap_err();
    assert!(matches!(err, AuditError::Config(_)), "{err:?}");
}

#[test]
fn anchor_holds_the_synced_state_and_lags_by_at_most_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.fsync_every = 3;
    cfg.fsync_interval = Duration::from_secs(3600);
    let log = open(&cfg);
    let path = log_path(&cfg);
    let key = chain_key(&cfg);
    let anchored = || {
        anchor::load(&anchor_path(&path), &key)
            .unwrap()
            .unwrap()
            .current()
            .records
    };
    for i in 0..4 {
        log.append(record(i)).unwrap();
    }
    // The writer syncs after the third record; the fourth waits for the next batch.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lines(&path).len() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "records never written"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(anchored(), 3);
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.anchored), (4, Some(3)));
    assert!(report.to_string().contains("anchored through record 3"));
    log.flush().unwrap();
    assert_eq!(anchored(), 4);
}

#[test]
fn after_a_crash_the_log_may_run_ahead_of_its_anchor_and_is_caught_up_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 2);
    // A crash after the third record's write, before the anchor's update.
    let lagging = fs::read(anchor_path(&path)).unwrap();
    write_n(&cfg, 2..3);
    fs::write(anchor_path(&path), lagging).unwrap();
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.anchored, Some(2));
    write_n(&cfg, 3..4);
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!((report.records, report.anchored), (4, Some(4)));
}

#[test]
fn a_log_shorter_than_its_anchor_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 3);
    let mut lines = lines(&path);
    lines.pop();
    rewrite(&path, &lines);
    let err = AuditLog::open(&cfg).unwrap_err();
    assert!(matches!(err, AuditError::Anchor { .. }), "{err:?}");
    assert!(
        err.to_string().contains("does not hold the 3 records"),
        "{err}"
    );
    // Nothing was written on it.
    assert_eq!(self::lines(&path), lines);
}

#[test]
fn a_log_with_records_but_no_anchor_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = written(dir.path(), 2);
    fs::remove_file(anchor_path(&path)).unwrap();
    let err = AuditLog::open(&cfg).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing, yet the log holds records"),
        "{err}"
    );
}

#[test]
fn a_rotation_cut_short_by_a_crash_verifies_and_is_finished_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, path) = written(dir.path(), 3);
    cfg.keep = 2;
    // The crash: the rotation's intent is in the anchor, no file has been renamed yet.
    let key = chain_key(&cfg);
    let mut intent: Anchor = anchor::load(&anchor_path(&path), &key).unwrap().unwrap();
    intent.rotate(cfg.keep);
    anchor::store(&anchor_path(&path), &intent, &key).unwrap();
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");

    write_n(&cfg, 3..4);
    let rotated = with_suffix(&path, ".1");
    assert_eq!(lines(&rotated).len(), 3);
    assert_eq!(lines(&path).len(), 1);
    assert!(verify(&rotated).unwrap().is_ok());
    let report = verify(&path).unwrap();
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.first_prev, verify(&rotated).unwrap().last_hash);
}

#[test]
fn a_file_swapped_for_a_copy_of_another_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = rotated_log(dir.path());
    // The current file's records deleted, `.1`'s copied in: a valid, anchored chain, in
    // the wrong place.
    fs::copy(with_suffix(&path, ".1"), &path).unwrap();
    let (line, reason) = first_break(&verify_rotated(&path));
    assert_eq!(line, 1);
    assert!(reason.contains("another file of the chain"), "{reason}");
}

#[test]
fn an_archived_file_verifies_against_a_copy_of_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, path) = rotated_log(dir.path());
    let archive = dir.path().join("archive");
    fs::create_dir(&archive).unwrap();
    let (file, anchor) = (archive.join("audit-old.jsonl"), archive.join("anchor-copy"));
    fs::copy(with_suffix(&path, ".2"), &file).unwrap();
    fs::copy(anchor_path(&path), &anchor).unwrap();
    let opts = VerifyOptions {
        key_file: cfg.chain_key_path(),
        anchor_file: Some(anchor),
        rotated: true,
    };
    let report = verify_with(&file, &opts).unwrap();
    assert!(report.is_ok(), "{report}");
}
