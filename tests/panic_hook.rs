//! A panic whose message quotes request text (as a slicing panic does) is reported with its
//! place, never its message. Its own test binary: the panic hook is process-wide.

use std::sync::{Arc, Mutex};

#[test]
fn a_panic_quoting_request_text_is_reported_without_it() {
    let reports = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = reports.clone();
    veilgate::panic_hook::install_with(move |r| sink.lock().unwrap().push(r.to_owned()));
    let text = String::from("Mail Marcus Whitfield at jane.roe@example-mail.com");
    let caught = std::thread::Builder::new()
        .name("masking".into())
        .spawn(move || {
            let end = text.len() + 1;
            text[7..end].len() // out of range: the message quotes `text`
        })
        .unwrap()
        .join();
    assert!(caught.is_err(), "the slice panicked");
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert!(report.contains("tests/panic_hook.rs:"), "{report}");
    assert!(report.contains("on thread masking"), "{report}");
    assert!(
        !report.contains("Whitfield") && !report.contains("jane.roe"),
        "{report}"
    );
}
