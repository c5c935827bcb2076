//! Panics never print their message. A slicing panic's message quotes the string it sliced
//! ("byte index 72 is out of range of `…`"), and in veilgate that string may be a request's
//! text: the default hook would write personal data to the logs. This hook reports where the
//! panic happened and on which thread, and withholds the message.

use std::panic::PanicHookInfo;

/// Replaces the process's panic hook: the report goes to the log (stderr).
pub fn install() {
    install_with(|report| tracing::error!("{report}"));
}

/// Like [`install`], with the report handed to `sink` (tests).
pub fn install_with(sink: impl Fn(&str) + Send + Sync + 'static) {
    std::panic::set_hook(Box::new(move |info| sink(&report(info))));
}

fn report(info: &PanicHookInfo<'_>) -> String {
    let place = info.location().map_or_else(
        || "an unknown place".to_owned(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let thread = std::thread::current();
    format!(
        "internal error: a panic at {place} on thread {}; its message is withheld, as it may \
         quote request text",
        thread.name().unwrap_or("unnamed")
    )
}
