//! The real `veilgate serve` binary as a child process: started on 127.0.0.1:0, its port
//! read from the `veilgate listening on …` line, stdout and stderr kept for inspection,
//! stopped with SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `veilgate serve`.
pub struct ServeProcess {
    child: Child,
    /// Everything written to stdout and stderr so far, interleaved by line.
    output: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    /// `http://127.0.0.1:PORT` (or `https://…`).
    pub root: String,
}

impl ServeProcess {
    /// Starts `veilgate serve --listen 127.0.0.1:0 ARGS` with `env` added (and `NO_COLOR`),
    /// and waits until it listens. Err: it exited first, with its status and output.
    pub fn start(
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<ServeProcess, (ExitStatus, String)> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_veilgate"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("VEILGATE_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("veilgate runs");
        let output = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            drain(child.stdout.take().unwrap(), output.clone()),
            drain(child.stderr.take().unwrap(), output.clone()),
        ];
        let mut proc = ServeProcess {
            child,
            output,
            readers,
            root: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(root) = listening_root(&proc.output()) {
                proc.root = root;
                return Ok(proc);
            }
            if let Some(status) = proc.child.try_wait().unwrap() {
                proc.join_readers();
                return Err((status, proc.output()));
            }
            assert!(
                Instant::now() < deadline,
                "veilgate did not start:\n{}",
                proc.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `ROOT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `/proc/PID/status` field in kB (`VmRSS`, `VmHWM`: peak resident memory).
    pub fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// Everything it wrote so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGTERM, then wait (15 s at most); its exit status and everything it wrote.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("veilgate did not exit on SIGTERM:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.join_readers();
        (status, self.output())
    }

    fn join_readers(&mut self) {
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(
    pipe: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            let mut out = into.lock().unwrap();
            out.push_str(&line);
            out.push('\n');
        }
    })
}

fn listening_root(output: &str) -> Option<String> {
    let rest = output.split("veilgate listening on ").nth(1)?;
    let end = rest.find(char::is_whitespace)?;
    Some(rest[..end].to_string())
}

/// Runs `veilgate ARGS` to completion (60 s at most) with `env` added; status and output.
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veilgate"));
    cmd.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("veilgate runs");
    let output = Arc::new(Mutex::new(String::new()));
    let readers = [
        drain(child.stdout.take().unwrap(), output.clone()),
        drain(child.stderr.take().unwrap(), output.clone()),
    ];
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "veilgate {args:?} did not exit:\n{}",
                output.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for r in readers {
        let _ = r.join();
    }
    let out = output.lock().unwrap().clone();
    (status, out)
}
