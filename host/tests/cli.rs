//! The `amber` binary end to end: output, exit codes, error lines.

use std::process::{Command, Output};

use amber::hash::GENESIS_HEADER_HEX as GENESIS;

fn amber(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_amber"))
        .args(args)
        .output()
        .expect("amber binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn hash_genesis_prints_block_hash_and_midstate() {
    let o = amber(&["hash", GENESIS]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"),
        "{out}"
    );
    assert!(
        out.contains("bc909a336358bff090ccac7d1e59caa8c3c8d8e94f0103c896b187364719f91b"),
        "{out}"
    );
    assert!(out.contains("4b1e5e4a29ab5f49ffff001d"), "{out}");
    assert!(
        out.contains("00000000ffff0000000000000000000000000000000000000000000000000000"),
        "{out}"
    );
}

#[test]
fn hash_json_is_one_object() {
    let o = amber(&["hash", "--json", GENESIS]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        v["hash"],
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
    );
    assert_eq!(v["nonce"], 0x7c2bac1d_u32);
    assert_eq!(v["bits"], "1d00ffff");
    assert_eq!(v["meets_target"], true);
    assert!(v["difficulty"].as_f64().unwrap() > 2500.0);
}

#[test]
fn hash_bad_input_is_one_line_and_exit_1() {
    for bad in [&GENESIS[..100], "xyz", ""] {
        let o = amber(&["hash", bad]);
        assert_eq!(o.status.code(), Some(1), "input {bad:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: reading the header argument: block header"),
            "{err}"
        );
    }
}

#[test]
fn negative_nbits_is_bad_input() {
    let negative = format!("{}ffff801d{}", &GENESIS[..144], &GENESIS[152..]);
    let o = amber(&["hash", &negative]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("negative target"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_1_and_help_and_version_exit_0() {
    assert_eq!(amber(&["no-such-command"]).status.code(), Some(1));
    let help = amber(&["--help"]);
    assert!(help.status.success());
    assert!(stdout(&help).contains("hash"));
    let version = amber(&["--version"]);
    assert!(version.status.success());
    assert!(stdout(&version).starts_with("amber "));
}

/// Numbers no run can hold are bad input (exit 1 with the flag named), never a panic.
#[test]
fn mine_refuses_impossible_numbers_without_panicking() {
    let dir = std::env::temp_dir().join(format!("amber-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mining.toml");
    std::fs::write(&file, "duration = 1e20\n").unwrap();
    let file = file.to_str().unwrap().to_string();
    for (args, words) in [
        (vec!["mine", "--duration", "1e20"], "--duration"),
        (vec!["mine", "--config", &file], "--duration"),
        (vec!["mine", "--pool-timeout", "1e300"], "--pool-timeout"),
        (vec!["mine", "--baud", "0"], "--baud"),
    ] {
        let o = amber(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(words), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 10 MB line in the settings file is cut in the error, not echoed whole.
#[test]
fn a_huge_settings_line_is_cut_in_the_error() {
    let dir = std::env::temp_dir().join(format!("amber-cli-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mining.toml");
    std::fs::write(&file, format!("ports = [\"{}\n", "x".repeat(10_000_000))).unwrap();
    let o = amber(&["mine", "--config", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).len() < 4096, "{} bytes", stderr(&o).len());
    assert!(stderr(&o).contains("line 1"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each cause once: a hex error is not repeated by its source.
#[test]
fn an_error_names_each_cause_once() {
    let o = amber(&["hash", "zz"]);
    let err = stderr(&o);
    assert_eq!(err.matches("Invalid character").count(), 1, "{err}");
}

/// A bitstream of the other family is named as such; a file larger than any
/// bitstream is refused without being read whole. No board is touched.
#[test]
fn program_checks_the_family_and_the_size_first() {
    let dir = std::env::temp_dir().join(format!("amber-cli-bit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bit = dir.join("miner.bit");
    // An ECP5 preamble and VERIFY_ID for an LFE5U-85F.
    std::fs::write(
        &bit,
        [
            0xff, 0xff, 0xbd, 0xb3, 0xe2, 0, 0, 0, 0x41, 0x11, 0x30, 0x43,
        ],
    )
    .unwrap();
    let o = amber(&["program", "--board", "icebreaker", bit.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the file is an ECP5 bitstream but board icebreaker has an iCE40"),
        "{}",
        stderr(&o)
    );
    let o = amber(&["program", "--board", "icebreaker", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("larger than any supported FPGA's bitstream"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
