//! `amber program` / `flash` refuse bad files before looking for hardware.

use std::process::Command;

use amber::emulator::ice40_test_image;

fn amber(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amber"))
        .args(args)
        .output()
        .expect("the amber binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn wrong_device_and_garbage_are_input_errors() {
    let dir = std::env::temp_dir().join(format!("amber-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hx8k = dir.join("hx8k.bin");
    std::fs::write(&hx8k, ice40_test_image(135_100, 1)).unwrap();
    let junk = dir.join("junk.bin");
    std::fs::write(&junk, b"not a bitstream").unwrap();
    let hx8k = hx8k.to_str().unwrap();
    let junk = junk.to_str().unwrap();

    for verb in ["program", "flash"] {
        let (code, err) = amber(&[verb, "--board", "icebreaker", hx8k]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(
                "bitstream is for hx8k (135100 bytes) but the board has up5k (104090 bytes)"
            ),
            "{err}"
        );
        let (code, err) = amber(&[verb, junk]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("not a bitstream"), "{err}");
    }
    let (code, err) = amber(&["probe", "--device", "04031:6010", "--family", "ice40"]);
    assert_eq!(code, 1, "{err}");
    let (code, err) = amber(&["program", "--board", "no-such-board", hx8k]);
    assert_eq!(code, 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
