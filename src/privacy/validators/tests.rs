//! Validators on valid and invalid fake values.

use super::*;

#[test]
fn luhn_accepts_test_card_numbers_with_separators() {
    assert!(luhn("4111111111111111"));
    assert!(luhn("4111 1111 1111 1111"));
    assert!(luhn("5500-0000-0000-0004"));
    assert!(luhn("378282246310005"));
}

#[test]
fn luhn_rejects_bad_checksums_lengths_and_letters() {
    assert!(!luhn("4111111111111112"));
    assert!(!luhn("4111 1111 111"));
    assert!(!luhn("4111a11111111111"));
    assert!(!luhn("0000 0000 0000 0000"));
}

#[test]
fn iban_accepts_valid_numbers_with_or_without_spaces() {
    assert!(iban_mod97("DE89370400440532013000"));
    assert!(iban_mod97("DE89 3704 0044 0532 0130 00"));
    assert!(iban_mod97("GB82 WEST 1234 5698 7654 32"));
    assert!(iban_mod97("fr1420041010050500013m02606"));
}

#[test]
fn iban_rejects_wrong_check_digits_and_lengths() {
    assert!(!iban_mod97("DE88370400440532013000"));
    assert!(!iban_mod97("DE8937040044053201300"));
    assert!(!iban_mod97("GB82WEST12345698765432XX"));
    assert!(!iban_mod97("1234567890123456"));
    assert!(!iban_mod97("ZZ89370400440532013000"));
}

#[test]
fn ssn_rules_reject_forbidden_areas_groups_and_serials() {
    assert!(us_ssn("536-90-4399"));
    assert!(us_ssn("536 90 4399"));
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "536-00-4399",
        "536-90-0000",
        "536-90-439",
    ] {
        assert!(!us_ssn(bad), "{bad}");
    }
}

#[test]
fn ipv6_needs_substance() {
    assert!(Validator::Ipv6.check("2001:db8::8a2e:370:7334"));
    assert!(Validator::Ipv6.check("fe80::1ff:fe23:4567:890a"));
    assert!(!Validator::Ipv6.check("ab::cd"));
    assert!(!Validator::Ipv6.check("::"));
    assert!(!Validator::Ipv6.check("12:30:45"));
}

#[test]
fn ipv4_uses_std_parsing() {
    assert!(Validator::Ipv4.check("192.168.10.4"));
    assert!(!Validator::Ipv4.check("256.1.1.1"));
    assert!(!Validator::Ipv4.check("1.2.3"));
}

#[test]
fn phone_counts_digits() {
    let v = Validator::Phone {
        min_digits: 7,
        max_digits: 15,
    };
    assert!(v.check("(555) 123-4567"));
    assert!(!v.check("123-45"));
    assert!(!v.check("1111111111"));
    let us = Validator::Phone {
        min_digits: 10,
        max_digits: 11,
    };
    assert!(us.check("555-123-4567 ext. 1234"));
}

#[test]
fn entropy_separates_random_keys_from_words() {
    let v = Validator::Entropy {
        min_bits_per_char: 3.5,
        min_len: 12,
    };
    assert!(v.check("q8Zr3LkP0vXa9TmB2wYc"));
    assert!(!v.check("aaaaaaaabbbbbbbb"));
    assert!(!v.check("short1X"));
    assert!(bits_per_char("") == 0.0);
}

#[test]
fn secret_value_skips_references_and_stand_ins() {
    for real in [
        "hunter2!",
        "wsjOWndsWtTfX",
        "supersecret",
        "p@ss w0rd",
        "%x6iPwnqP0C4",
        "$ecr3t!Val",
        "<Tr0ub4dor",
    ] {
        assert!(secret_value(real), "{real}");
    }
    for not in [
        "${DB_PASSWORD}",
        "$PASS",
        "os.environ['X']",
        "getenv(\"X\")",
        "<password>",
        "****",
        "null",
        "self.password",
        "db_password",
        "{{ pw }}",
        "xx",
        "%DB_PASS%",
        "$(cat /run/pw)",
        "[REDACTED]",
        "read_secret()",
        "vault.read(\"x\")",
    ] {
        assert!(!secret_value(not), "{not}");
    }
}

#[test]
fn date_accepts_common_orders_and_month_names() {
    for d in [
        "1985-03-12",
        "03/12/1985",
        "12.03.85",
        "March 12, 1985",
        "12 Mar 1985",
    ] {
        assert!(date(d), "{d}");
    }
    for d in ["1985-13-12", "32/01/1985", "1.2.3.4", "March 1985x 12 14"] {
        assert!(!date(d), "{d}");
    }
}

#[test]
fn specs_build_validators_and_name_bad_parameters() {
    let p = vec![("min_bits_per_char".to_string(), 4.0)];
    assert_eq!(
        Validator::from_spec("entropy", &p),
        Ok(Validator::Entropy {
            min_bits_per_char: 4.0,
            min_len: 8
        })
    );
    assert_eq!(
        Validator::from_spec("nope", &[]),
        Err(SpecError::Unknown("nope".into()))
    );
    let bad = vec![("min_bits".to_string(), 4.0)];
    assert!(
        matches!(Validator::from_spec("entropy", &bad), Err(SpecError::BadParam(m)) if m.contains("min_bits"))
    );
    assert!(NAMES.iter().all(|n| Validator::from_spec(n, &[]).is_ok()));
}
