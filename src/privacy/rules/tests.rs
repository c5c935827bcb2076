//! Behaviour of the shipped rules and of the loader. All values are fake.

use super::*;
use crate::privacy::{EntityType, Vault};

fn book() -> RuleBook {
    load(None).expect("embedded rules compile")
}

fn masker() -> Masker {
    book().into_masker()
}

/// `TYPE:value` for every fused span of `text`.
fn found(text: &str) -> Vec<String> {
    thread_local! { static M: Masker = masker(); }
    M.with(|m| {
        m.detect(&[text]).unwrap()[0]
            .iter()
            .map(|s| format!("{}:{}", s.kind, &text[s.start..s.end]))
            .collect()
    })
}

fn has(text: &str, kind: EntityType, value: &str) -> bool {
    found(text).contains(&format!("{kind}:{value}"))
}

fn scores(text: &str) -> Vec<f32> {
    let m = masker();
    m.detect(&[text]).unwrap()[0]
        .iter()
        .map(|s| s.score)
        .collect()
}

// --- loading -------------------------------------------------------------------------

#[test]
fn embedded_rules_load_and_pass_their_own_examples() {
    let b = book();
    assert!(b.rule_count() >= 30, "{} rules", b.rule_count());
    assert!(b.allow_term_count() >= 5);
    assert!(b.deny_term_count() >= 1);
    let problems = b.self_check();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn embedded_list_matches_the_rules_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".md"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

#[test]
fn loading_the_folder_equals_the_embedded_copy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_disk = load(Some(&dir)).unwrap();
    assert_eq!(from_disk.rule_count(), book().rule_count());
    assert_eq!(from_disk.deny_term_count(), book().deny_term_count());
}

fn load_err(toml: &str) -> String {
    load_str("my_rules.toml", toml).unwrap_err().to_string()
}

#[test]
fn bad_regex_names_file_rule_and_regex_error() {
    let e = load_err(
        "[[rule]]\nname = \"broken\"\ntype = \"EMAIL\"\nregex = '(unclosed'\nscore = 0.9\n",
    );
    assert!(
        e.starts_with("my_rules.toml: rule \"broken\": bad regex:"),
        "{e}"
    );
    assert!(e.contains("unclosed"), "{e}");
}

#[test]
fn unknown_type_names_file_rule_and_tag() {
    let e = load_err("[[rule]]\nname = \"r1\"\ntype = \"SHOE_SIZE\"\nregex = 'x'\nscore = 0.9\n");
    assert!(
        e.contains("my_rules.toml") && e.contains("\"r1\"") && e.contains("SHOE_SIZE"),
        "{e}"
    );
}

#[test]
fn unknown_validator_names_file_rule_and_validator() {
    let e = load_err(
        "[[rule]]\nname = \"r2\"\ntype = \"ID\"\nregex = 'x'\nscore = 0.9\nvalidator = \"crc99\"\n",
    );
    assert!(
        e.contains("my_rules.toml")
            && e.contains("\"r2\"")
            && e.contains("crc99")
            && e.contains("luhn"),
        "{e}"
    );
}

#[test]
fn bad_toml_names_file_and_line() {
    let e = load_err("threshold = 0.5\n\n[[rule]]\nname = \"r3\"\ntype = = \"ID\"\n");
    assert!(e.starts_with("my_rules.toml:5:"), "{e}");
    let e =
        load_err("[[rule]]\nname = \"r4\"\ntype = \"ID\"\nregex = 'x'\nscore = 0.9\ncolour = 1\n");
    assert!(
        e.contains("my_rules.toml:6:") && e.contains("colour"),
        "{e}"
    );
}

#[test]
fn missing_group_and_bad_score_are_reported_per_rule() {
    let e = load_err(
        "[[rule]]\nname = \"g\"\ntype = \"ID\"\nregex = '(?P<a>x)'\nscore = 0.9\ngroup = \"b\"\n",
    );
    assert!(e.contains("rule \"g\"") && e.contains("\"b\""), "{e}");
    let e = load_err("[[rule]]\nname = \"s\"\ntype = \"ID\"\nregex = 'x'\nscore = 1.5\n");
    assert!(e.contains("rule \"s\"") && e.contains("1.5"), "{e}");
}

#[test]
fn duplicate_rule_names_are_refused() {
    let rule = "[[rule]]\nname = \"dup\"\ntype = \"ID\"\nregex = 'x'\nscore = 0.9\n";
    let e = load_err(&format!("{rule}{rule}"));
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn a_rules_folder_with_a_bad_file_stops_loading_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.toml"),
        "[[rule]]\nname = \"ok\"\ntype = \"ID\"\nregex = 'x'\nscore = 0.9\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        "[[rule]]\nname = \"bad\"\ntype = \"ID\"\nregex = '['\nscore = 0.9\n",
    )
    .unwrap();
    let e = load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("b.toml") && e.contains("\"bad\""), "{e}");
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        load(Some(empty.path())),
        Err(RulesError::NoRuleFiles { .. })
    ));
}

#[test]
fn dictionary_files_are_read_relative_to_the_rules_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.toml"),
        "[[dictionary]]\ntype = \"PERSON\"\nfile = \"people.txt\"\nterms = [\"Quentin Fakename\"]\n[allow]\nterms = [\"Nobody Special\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("people.txt"),
        "# customers\nAnnika Placeholder\n\n",
    )
    .unwrap();
    let b = load(Some(dir.path())).unwrap();
    assert_eq!(b.deny_term_count(), 2);
    let m = b.into_masker();
    let text = "ask annika placeholder and QUENTIN FAKENAME";
    let spans = m.detect(&[text]).unwrap();
    assert_eq!(spans[0].len(), 2);
    assert!(spans[0]
        .iter()
        .all(|s| s.kind == EntityType::Person && &*s.source == "dictionary:deny"));
    let e = load(Some(dir.path())).map(|_| ()).and_then(|_| {
        std::fs::remove_file(dir.path().join("people.txt")).unwrap();
        load(Some(dir.path())).map(|_| ())
    });
    assert!(e.unwrap_err().to_string().contains("people.txt"));
}

#[test]
fn allow_list_wins_over_rules_and_dictionary() {
    let toml = "[[rule]]\nname = \"word\"\ntype = \"ID\"\nregex = '\\bZX[0-9]+\\b'\nscore = 0.9\n\
                [[dictionary]]\ntype = \"ORGANIZATION\"\nterms = [\"Blue Heron\"]\n\
                [allow]\nterms = [\"zx42\", \"blue heron\"]\n";
    let m = load_str("t.toml", toml).unwrap().into_masker();
    let spans = m.detect(&["ZX42 ZX43 Blue Heron"]).unwrap();
    assert_eq!(spans[0].len(), 1);
    assert_eq!(spans[0][0].start, 5);
    assert!(!found("reach me at localhost or 127.0.0.1")
        .iter()
        .any(|f| f.contains("localhost") || f.contains("127.0.0.1")));
}

#[test]
fn threshold_drops_low_scores_and_context_raises_them() {
    let toml = "threshold = 0.6\n[[rule]]\nname = \"n\"\ntype = \"ID\"\nregex = '\\b[0-9]{6}\\b'\nscore = 0.4\n\
                context = { words = [\"badge\"], boost = 0.3 }\n";
    let m = load_str("t.toml", toml).unwrap().into_masker();
    assert!(m.detect(&["code 123456"]).unwrap()[0].is_empty());
    let s = &m.detect(&["badge: 123456"]).unwrap()[0];
    assert_eq!(s.len(), 1);
    assert!((s[0].score - 0.7).abs() < 1e-6);
}

// --- contact -------------------------------------------------------------------------

#[test]
fn emails_are_found() {
    assert!(has(
        "mail oscar.h@example.com.",
        EntityType::Email,
        "oscar.h@example.com"
    ));
    assert!(has(
        "<a.b-c@sub.mail.co.uk>",
        EntityType::Email,
        "a.b-c@sub.mail.co.uk"
    ));
}

#[test]
fn phone_formats_are_found() {
    for p in [
        "(555) 123-4567",
        "555-123-4567",
        "+1 555 123 4567",
        "+44 20 7946 0958",
        "+49 171 1234567",
        "020 7946 0958",
        "01 23 45 67 89",
    ] {
        let text = format!("Phone: {p}");
        assert!(has(&text, EntityType::Phone, p), "{p}: {:?}", found(&text));
    }
}

#[test]
fn phone_context_raises_confidence_and_billing_context_lowers_it() {
    let plain = scores("ring 555-123-4567 later");
    let phone = scores("phone 555-123-4567 later");
    assert!(phone[0] > plain[0]);
    assert!(found("invoice 555-123-4567").is_empty());
}

#[test]
fn bare_ten_digits_need_phone_context() {
    assert!(found("row 4155552671 of the table").is_empty());
    assert!(has("mobile: 4155552671", EntityType::Phone, "4155552671"));
}

// --- finance -------------------------------------------------------------------------

#[test]
fn luhn_valid_cards_are_found_and_invalid_are_not() {
    assert!(has(
        "card 4111 1111 1111 1111 exp 12/29",
        EntityType::CreditCard,
        "4111 1111 1111 1111"
    ));
    assert!(has(
        "pay with 5500-0000-0000-0004",
        EntityType::CreditCard,
        "5500-0000-0000-0004"
    ));
    assert!(!found("card 4111 1111 1111 1112")
        .iter()
        .any(|f| f.starts_with("CREDIT_CARD")));
}

#[test]
fn ibans_are_found_with_and_without_spaces() {
    assert!(has(
        "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX",
        EntityType::Iban,
        "DE89 3704 0044 0532 0130 00"
    ));
    assert!(has(
        "to DE89370400440532013000.",
        EntityType::Iban,
        "DE89370400440532013000"
    ));
    assert!(!found("DE89370400440532013001")
        .iter()
        .any(|f| f.starts_with("IBAN")));
}

#[test]
fn ssns_follow_area_group_serial_rules() {
    assert!(has("SSN 536-90-4399", EntityType::UsSsn, "536-90-4399"));
    for bad in [
        "000-90-4399",
        "666-90-4399",
        "901-90-4399",
        "536-00-4399",
        "536-90-0000",
    ] {
        assert!(
            !found(&format!("SSN {bad}"))
                .iter()
                .any(|f| f.starts_with("US_SSN")),
            "{bad}"
        );
    }
}

// --- network -------------------------------------------------------------------------

#[test]
fn ip_addresses_are_found_but_versions_are_not() {
    assert!(has(
        "server at 10.20.30.40:8080",
        EntityType::IpAddress,
        "10.20.30.40"
    ));
    assert!(has(
        "gw 2001:db8::1 up",
        EntityType::IpAddress,
        "2001:db8::1"
    ));
    assert!(found("upgrade to version 1.2.3.4 now").is_empty());
    assert!(found("std::vector<int> at 12:30:45").is_empty());
}

#[test]
fn url_credentials_and_query_tokens_mask_only_the_secret() {
    assert!(has(
        "postgres://app:S3cr3t!x@db.example.com/orders",
        EntityType::Secret,
        "S3cr3t!x"
    ));
    let t = "curl 'https://api.example.com/x?api_key=Zk29aLq0vN3mR8sT&page=2'";
    assert!(
        has(t, EntityType::Secret, "Zk29aLq0vN3mR8sT"),
        "{:?}",
        found(t)
    );
}

#[test]
fn internal_hostnames_are_found_but_public_domains_in_prose_are_not() {
    assert!(has(
        "ssh db-prod-03.corp.example.net now",
        EntityType::Hostname,
        "db-prod-03.corp.example.net"
    ));
    assert!(has(
        "resolve vault.internal first",
        EntityType::Hostname,
        "vault.internal"
    ));
    assert!(found("I read it on github.com and example.com, then docs.rs.").is_empty());
}

// --- secrets -------------------------------------------------------------------------

#[test]
fn each_secret_kind_is_found() {
    let cases = [
        ("AKIAZ3MQ7TRX5WLNB2KD", "AKIAZ3MQ7TRX5WLNB2KD"),
        (
            "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
            "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A",
        ),
        (
            "xoxb-2048-4096-aBcDeFgHiJkLmNoP",
            "xoxb-2048-4096-aBcDeFgHiJkLmNoP",
        ),
        ("sk_live_51HxQ2kLmN8pQrS4tUv", "sk_live_51HxQ2kLmN8pQrS4tUv"),
        (
            "sk-proj-Q2w9E8r7T6y5U4i3O2p1A0sDfGhJkL",
            "sk-proj-Q2w9E8r7T6y5U4i3O2p1A0sDfGhJkL",
        ),
        (
            "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
            "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        ),
    ];
    for (text, value) in cases {
        let text = format!("use {text} here");
        assert!(
            has(&text, EntityType::Secret, value),
            "{value}: {:?}",
            found(&text)
        );
    }
}

#[test]
fn aws_secret_key_needs_aws_context() {
    let key = "Qm8vXz2Lr5Tn7Yp1Wc4Hd6Jf9Kg3Bs0Ve5Nu8Ri2";
    assert!(has(
        &format!("AWS_SECRET_ACCESS_KEY={key}"),
        EntityType::Secret,
        key
    ));
    assert!(found(&format!("checksum {key}")).is_empty());
}

#[test]
fn jwt_bearer_and_pem_blocks_are_masked_whole() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.c2lnbmF0dXJlLWZha2UtdmFsdWU";
    assert!(has(&format!("token {jwt}"), EntityType::Secret, jwt));
    assert!(has(
        "Authorization: Bearer q8Zr3LkP0vXa9TmB2wYc",
        EntityType::Secret,
        "q8Zr3LkP0vXa9TmB2wYc"
    ));
    let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nZmFrZQ==\n-----END PRIVATE KEY-----";
    assert!(has(
        &format!("key:\n{pem}\nthanks"),
        EntityType::Secret,
        pem
    ));
}

#[test]
fn password_assignment_masks_only_the_value() {
    for (text, value) in [
        ("password=Hunter2!x", "Hunter2!x"),
        ("DB_PASSWORD=\"s3cr3t-Value\"", "s3cr3t-Value"),
        ("  passwd: 'Tr0ub4dor&3'", "Tr0ub4dor&3"),
        (
            "{\"api_key\": \"T9Q9omny_oDdbING638Lq\"}",
            "T9Q9omny_oDdbING638Lq",
        ),
        ("client_secret => 'Zx81nQ0pLk2MvB7c'", "Zx81nQ0pLk2MvB7c"),
        ("token: q8Zr3LkP0vXa9TmB2wYc", "q8Zr3LkP0vXa9TmB2wYc"),
    ] {
        assert_eq!(found(text), vec![format!("SECRET:{value}")], "{text}");
    }
}

#[test]
fn references_to_secrets_are_not_secrets() {
    for text in [
        "password: ${DB_PASSWORD}",
        "api_key = os.environ[\"API_KEY\"]",
        "token: <your-token>",
        "password = None",
        "max_tokens: 1000",
    ] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
}

// --- personal ------------------------------------------------------------------------

#[test]
fn dates_of_birth_need_birth_context() {
    assert!(has(
        "DOB: 1985-03-12",
        EntityType::DateOfBirth,
        "1985-03-12"
    ));
    assert!(has(
        "she was born on March 12, 1985.",
        EntityType::DateOfBirth,
        "March 12, 1985"
    ));
    assert!(found("the release is on 2025-03-12").is_empty());
}

#[test]
fn ids_after_labels_are_found() {
    assert!(has("employee ID E-48213 joined", EntityType::Id, "E-48213"));
    assert!(has("Patient number: P-99812", EntityType::Id, "P-99812"));
    assert!(found("the customer service number is unknown").is_empty());
}

// --- precision on prose --------------------------------------------------------------

#[test]
fn plain_prose_has_no_spans() {
    for text in [
        "The Quick Brown Fox met Alice in Paris during the Summer of 1999.",
        "Version 2.3.1 was released in 2024; upgrade from 1.9 by running make.",
        "We sold 1,234,567 units at $19.99 each, up 12.5% from 2023.",
        "Call the function with key=value pairs, e.g. f(a=1, b=2).",
        "The meeting is at 10:30 on 2024-05-06 in room 4B.",
        "Use std::collections::HashMap and see docs.rs for details.",
        "Set the password field in the form and click Save.",
        "Our API returns a token when you log in; store the secret safely.",
        "See RFC 7231 section 6.5.1 and ISO 8601.",
        "The order number is 12345 and the total is 99.50 EUR.",
    ] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
}

#[test]
fn non_ascii_text_is_handled_on_char_boundaries() {
    let text = "Grüße, schreib an jürgen@example.de oder ruf +49 171 1234567 an — danke 😀";
    let f = found(text);
    assert!(
        f.contains(&"EMAIL:jürgen@example.de".to_string())
            || f.iter().any(|s| s.starts_with("EMAIL:")),
        "{f:?}"
    );
    assert!(f.contains(&"PHONE:+49 171 1234567".to_string()), "{f:?}");
}

#[test]
fn masking_rewrites_the_text_with_placeholders() {
    let m = masker();
    let mut text = String::from("mail a@b.io, card 4111 1111 1111 1111, mail a@b.io");
    let mut vault = Vault::new();
    m.mask(&mut [&mut text], &mut vault).unwrap();
    assert_eq!(text, "mail [EMAIL_1], card [CREDIT_CARD_1], mail [EMAIL_1]");
}

#[test]
fn auth_scheme_word_in_a_quoted_token_value_stays_readable() {
    assert_eq!(
        found("AUTH_TOKEN = \"Bearer q8Zr3LkP0vXa9TmB2wYc\""),
        vec!["SECRET:q8Zr3LkP0vXa9TmB2wYc"]
    );
}

#[test]
fn unquoted_passwords_keep_their_ampersands() {
    assert_eq!(
        found("POSTGRES_PASSWORD: wq^kNFY&v^0Zx"),
        vec!["SECRET:wq^kNFY&v^0Zx"]
    );
}
