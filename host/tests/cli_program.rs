//! `amber program` / `flash` refuse bad files before looking for hardware.

use std::process::Command;

use amber::emulator::{ecp5_test_bitstream, ice40_test_image, Ecp5Geometry};

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
    // --freq: a frequency, and only for MPSSE boards.
    let up5k = dir.join("up5k.bin");
    std::fs::write(&up5k, ice40_test_image(104_090, 1)).unwrap();
    let up5k = up5k.to_str().unwrap();
    let (code, err) = amber(&["program", "--board", "icebreaker", "--freq", "fast", up5k]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("`fast` is not a frequency"), "{err}");
    let ulx3s = dir.join("ulx3s.bit");
    let geometry = Ecp5Geometry {
        frames: 40,
        frame_bytes: 142,
    };
    std::fs::write(&ulx3s, ecp5_test_bitstream(0x4111_3043, geometry, 1)).unwrap();
    let (code, err) = amber(&[
        "flash",
        "--board",
        "ulx3s-85f",
        "--freq",
        "10M",
        ulx3s.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "--freq 10000000 sets the MPSSE clock, but ulx3s-85f programs over FT231X bit-bang"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
