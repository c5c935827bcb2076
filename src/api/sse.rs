//! Incremental Server-Sent Events parser and writer.
//!
//! The parser follows the WHATWG `text/event-stream` rules and gives the same items for any
//! chunking of the bytes: lines may be split anywhere (inside a UTF-8 sequence, between the
//! `\r` and `\n` of a CRLF), and a line is decoded only once it is complete.
//!
//! Two deliberate departures from a browser's `EventSource`, both because a proxy forwards
//! the events instead of consuming them:
//! - comments are reported ([`SseItem::Comment`]) so keep-alives can be passed on;
//! - an event's `id` is the `id:` field of that event only (a browser keeps the last one),
//!   so re-emitting the event never invents ids the upstream did not send.
//!
//! At the end of the stream ([`SseParser::finish`]) a pending event is dispatched even if the
//! upstream omitted the final blank line (the spec discards it). `finish` is only called when
//! the upstream body ended cleanly (its HTTP framing completed), so the last event is not a
//! truncation but a sloppy terminator, and dropping it would lose `[DONE]` or
//! `message_stop`. An upstream that fails mid-event is never finished: its partial event is
//! simply not dispatched.

use std::fmt;

/// Default limit on the length of one line and on the data of one event: 8 MiB.
pub const DEFAULT_MAX_LINE: usize = 8 << 20;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `None` for the default type (`message`).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field of this event, if it had one.
    pub id: Option<String>,
    /// The `retry:` field of this event, if it had a valid one.
    pub retry: Option<u64>,
}

/// What the parser reports, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A complete event.
    Event(SseEvent),
    /// A comment line (text after the `:`, leading space kept), e.g. a keep-alive.
    Comment(String),
}

/// The byte stream is not a well-formed event stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A line (without its terminator) exceeded the configured limit.
    #[error("event stream line longer than {limit} bytes")]
    LineTooLong { limit: usize },
    /// The data of one event exceeded the configured limit.
    #[error("event stream event data larger than {limit} bytes")]
    EventTooLarge { limit: usize },
    /// A complete line was not valid UTF-8.
    #[error("event stream line {line} is not valid UTF-8")]
    InvalidUtf8 { line: u64 },
}

/// Incremental parser of one event stream.
pub struct SseParser {
    max_line: usize,
    /// The unterminated line carried over from earlier reads (raw bytes: it may end inside a
    /// UTF-8 sequence).
    partial: Vec<u8>,
    /// The last line ended in `\r`: a `\n` at the start of the next read belongs to it.
    skip_lf: bool,
    /// Number of lines seen (for error messages); 0 means the BOM check is still due.
    lines: u64,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
    retry: Option<u64>,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(DEFAULT_MAX_LINE)
    }
}

impl fmt::Debug for SseParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The buffers hold (masked) user text: show only their sizes.
        f.debug_struct("SseParser")
            .field("partial_len", &self.partial.len())
            .field("data_len", &self.data.len())
            .field("lines", &self.lines)
            .finish()
    }
}

impl SseParser {
    /// A parser that refuses lines and event data longer than `max_line` bytes.
    pub fn new(max_line: usize) -> SseParser {
        SseParser {
            max_line,
            partial: Vec::new(),
            skip_lf: false,
            lines: 0,
            event: None,
            data: String::new(),
            has_data: false,
            id: None,
            retry: None,
        }
    }

    /// Feeds the next bytes; appends every item they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<SseItem>) -> Result<(), SseError> {
        if self.skip_lf && !bytes.is_empty() {
            self.skip_lf = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            let line = &bytes[..pos];
            if self.partial.is_empty() {
                // Fast path: the whole line is in this read, no copy.
                self.check_line(line.len())?;
                self.line(line, out)?;
            } else {
                self.check_line(self.partial.len() + line.len())?;
                let mut buf = std::mem::take(&mut self.partial);
                buf.extend_from_slice(line);
                let result = self.line(&buf, out);
                buf.clear();
                self.partial = buf; // keep the allocation for the next split line
                result?;
            }
            let cr = bytes[pos] == b'\r';
            bytes = &bytes[pos + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        if !bytes.is_empty() {
            self.check_line(self.partial.len() + bytes.len())?;
            self.partial.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// The stream ended cleanly: a last unterminated line counts as complete and a pending
    /// event is dispatched (see the module doc for why).
    pub fn finish(&mut self, out: &mut Vec<SseItem>) -> Result<(), SseError> {
        if !self.partial.is_empty() {
            let buf = std::mem::take(&mut self.partial);
            self.line(&buf, out)?;
        }
        self.dispatch(out);
        self.skip_lf = false;
        Ok(())
    }

    fn check_line(&self, len: usize) -> Result<(), SseError> {
        if len > self.max_line {
            return Err(SseError::LineTooLong {
                limit: self.max_line,
            });
        }
        Ok(())
    }

    /// Interprets one complete line (without its terminator).
    fn line(&mut self, raw: &[u8], out: &mut Vec<SseItem>) -> Result<(), SseError> {
        self.lines += 1;
        let mut line =
            std::str::from_utf8(raw).map_err(|_| SseError::InvalidUtf8 { line: self.lines })?;
        if self.lines == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if let Some(comment) = line.strip_prefix(':') {
            out.push(SseItem::Comment(comment.to_owned()));
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_line {
                    return Err(SseError::EventTooLarge {
                        limit: self.max_line,
                    });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = (!value.is_empty()).then(|| value.to_owned()),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {} // unknown fields are ignored, as the spec says
        }
        Ok(())
    }

    /// A blank line: emit the event if it has data (the spec drops data-less events).
    fn dispatch(&mut self, out: &mut Vec<SseItem>) {
        let event = self.event.take();
        let id = self.id.take();
        let retry = self.retry.take();
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        out.push(SseItem::Event(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id,
            retry,
        }));
    }
}

impl SseEvent {
    /// Appends this event, `id` and `retry` included, in wire form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        self.write_header(out);
        write_data(out, &self.data);
        out.push(b'\n');
    }

    /// Appends this event's `event:`, `id:` and `retry:` lines (not its data) to `out`.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        if let Some(event) = &self.event {
            write_field(out, "event", event);
        }
        if let Some(id) = &self.id {
            write_field(out, "id", id);
        }
        if let Some(retry) = self.retry {
            write_field(out, "retry", &retry.to_string());
        }
    }
}

/// Appends one event to `out`: an optional `event:` line, one `data:` line per line of
/// `data`, and the blank line that dispatches it.
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &str) {
    if let Some(event) = event {
        write_field(out, "event", event);
    }
    write_data(out, data);
    out.push(b'\n');
}

/// Appends a comment (one `:` line per line of `text`) followed by a blank line, which ends
/// nothing (no event is pending between our writes) but keeps clients that frame on blank
/// lines happy.
pub fn write_comment(out: &mut Vec<u8>, text: &str) {
    for line in lines(text) {
        out.push(b':');
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

fn write_data(out: &mut Vec<u8>, data: &str) {
    for line in lines(data) {
        write_field(out, "data", line);
    }
}

/// A single-line field. A value that contains a line break would be cut by the client, so
/// only its first line is written (event names and ids never legitimately contain one).
fn write_field(out: &mut Vec<u8>, name: &str, value: &str) {
    let value = lines(value).next().unwrap_or("");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// Splits on `\r\n`, `\r` and `\n` (as an SSE client would); `""` gives one empty line and a
/// trailing terminator gives a trailing empty line, so the split round-trips.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(i) => {
                let skip = if text[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[i + skip..]);
                Some(&text[..i])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<SseItem> {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.push(c, &mut out).unwrap();
        }
        p.finish(&mut out).unwrap();
        out
    }

    fn ev(event: Option<&str>, data: &str) -> SseItem {
        SseItem::Event(SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            ..SseEvent::default()
        })
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let items = parse(&[b"data: a\ndata:b\ndata:  c\n\n"]);
        assert_eq!(items, vec![ev(None, "a\nb\n c")]);
    }

    #[test]
    fn all_three_line_endings_are_accepted() {
        let items = parse(&[b"event: x\r\ndata: 1\r\n\r\ndata: 2\r\rdata: 3\n\n"]);
        assert_eq!(
            items,
            vec![ev(Some("x"), "1"), ev(None, "2"), ev(None, "3")]
        );
    }

    #[test]
    fn crlf_split_across_reads_is_one_line_ending() {
        let items = parse(&[b"data: 1\r", b"\n", b"\r", b"\ndata: 2\r", b"\r\n"]);
        assert_eq!(items, vec![ev(None, "1"), ev(None, "2")]);
    }

    #[test]
    fn utf8_split_inside_a_character_is_reassembled() {
        let bytes = "data: h\u{e9}llo \u{1f600}\n\n".as_bytes();
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse(&chunks), vec![ev(None, "h\u{e9}llo \u{1f600}")]);
    }

    #[test]
    fn comments_are_reported_in_order() {
        let items = parse(&[b": keep-alive\n\ndata: x\n:mid\n\n"]);
        assert_eq!(
            items,
            vec![
                SseItem::Comment(" keep-alive".into()),
                SseItem::Comment("mid".into()),
                ev(None, "x")
            ]
        );
    }

    #[test]
    fn bom_at_stream_start_is_stripped_once() {
        let items = parse(&[b"\xEF\xBB", b"\xBFdata: a\n\n"]);
        assert_eq!(items, vec![ev(None, "a")]);
    }

    #[test]
    fn events_without_data_are_not_dispatched() {
        assert_eq!(parse(&[b"event: ping\n\n\n\ndata\n\n"]), vec![ev(None, "")]);
    }

    #[test]
    fn id_retry_and_unknown_fields() {
        let items = parse(&[b"id: 7\nretry: 100\nretry: x\nfoo: bar\ndata: d\n\n"]);
        let want = SseEvent {
            event: None,
            data: "d".into(),
            id: Some("7".into()),
            retry: Some(100),
        };
        assert_eq!(items, vec![SseItem::Event(want)]);
    }

    #[test]
    fn finish_dispatches_an_event_missing_its_blank_line() {
        assert_eq!(parse(&[b"data: [DONE]"]), vec![ev(None, "[DONE]")]);
        assert_eq!(parse(&[b"data: [DONE]\r"]), vec![ev(None, "[DONE]")]);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_however_it_arrives() {
        let mut p = SseParser::new(8);
        let mut out = Vec::new();
        p.push(b"data: 12", &mut out).unwrap();
        assert_eq!(
            p.push(b"3", &mut out),
            Err(SseError::LineTooLong { limit: 8 })
        );
        let mut p = SseParser::new(8);
        assert!(p.push(b"data: 123\n", &mut out).is_err());
    }

    #[test]
    fn event_data_over_the_limit_is_an_error() {
        let mut p = SseParser::new(10);
        let mut out = Vec::new();
        let r = p.push(b"data:1234\ndata:1234\ndata:1234\n", &mut out);
        assert_eq!(r, Err(SseError::EventTooLarge { limit: 10 }));
    }

    #[test]
    fn invalid_utf8_in_a_complete_line_is_an_error() {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        p.push(b"data: \xFF", &mut out).unwrap(); // not complete yet: no error
        assert_eq!(
            p.push(b"\n", &mut out),
            Err(SseError::InvalidUtf8 { line: 1 })
        );
    }

    #[test]
    fn writer_splits_multi_line_data_and_round_trips() {
        let mut out = Vec::new();
        write_event(&mut out, Some("delta"), "a\nb\r\nc\n");
        write_comment(&mut out, " ping");
        assert_eq!(
            out,
            b"event: delta\ndata: a\ndata: b\ndata: c\ndata: \n\n: ping\n\n"
        );
        assert_eq!(
            parse(&[&out]),
            vec![
                ev(Some("delta"), "a\nb\nc\n"),
                SseItem::Comment(" ping".into())
            ]
        );
    }

    #[test]
    fn write_to_keeps_id_and_retry() {
        let e = SseEvent {
            event: Some("x".into()),
            data: " lead".into(),
            id: Some("9".into()),
            retry: Some(5),
        };
        let mut out = Vec::new();
        e.write_to(&mut out);
        assert_eq!(parse(&[&out]), vec![SseItem::Event(e)]);
    }
}
