//! The two image recipes cannot drift: the Dockerfile's runtime stage (for users with
//! Docker and a registry) and the Containerfile (built here from Debian packages, run by
//! scripts/container-smoke.sh) give the image the same user, working directory, environment,
//! files, port, health check and entry point. Only the base image and the sources of the
//! COPYs may differ.

use std::path::Path;

/// The instructions of a recipe's last stage, continuation lines joined, comments dropped;
/// `COPY` reduced to its destination and `FROM` left out.
fn runtime_stage(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut instructions: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head.trim_end()),
            None => {
                pending.push_str(line);
                let joined = pending.split_whitespace().collect::<Vec<_>>().join(" ");
                instructions.push(joined);
                pending.clear();
            }
        }
    }
    let last_from = instructions
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .unwrap_or_else(|| panic!("{file} has no FROM"));
    instructions[last_from + 1..]
        .iter()
        .map(|i| match i.strip_prefix("COPY ") {
            Some(args) => {
                let args: Vec<&str> = args
                    .split_whitespace()
                    .filter(|a| !a.starts_with("--"))
                    .collect();
                format!(
                    "COPY -> {}",
                    args.last().expect("a COPY names a destination")
                )
            }
            None => i.clone(),
        })
        .collect()
}

#[test]
fn the_containerfile_builds_the_dockerfiles_runtime_image() {
    let docker = runtime_stage("Dockerfile");
    let container = runtime_stage("Containerfile");
    assert_eq!(docker, container);
    for must in [
        "USER veilgate",
        "WORKDIR /var/lib/veilgate",
        "ENV VEILGATE__SERVER__LISTEN=0.0.0.0:8787",
        "EXPOSE 8787",
        "ENTRYPOINT [\"veilgate\"]",
        "CMD [\"serve\"]",
    ] {
        assert!(
            container.iter().any(|i| i == must),
            "{must}: {container:#?}"
        );
    }
    assert!(
        container
            .iter()
            .any(|i| i.starts_with("RUN useradd --system --uid 10001 ")),
        "{container:#?}"
    );
    assert!(
        container
            .iter()
            .any(|i| i.starts_with("HEALTHCHECK ") && i.ends_with("CMD [\"veilgate\", \"health\"]")),
        "{container:#?}"
    );
}

#[test]
fn the_image_context_leaves_out_training_code_and_test_files() {
    let ignore =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".dockerignore"))
            .expect(".dockerignore");
    for pattern in [
        "target",
        ".venv",
        "models/*/train",
        "models/tagger/examples.jsonl",
    ] {
        assert!(
            ignore.lines().any(|l| l.trim() == pattern),
            ".dockerignore lacks {pattern}"
        );
    }
}
