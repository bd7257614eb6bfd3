//! The Icarus-compatible port: the bridge against a board in software (the
//! golden probe, new work aborting the current one, malformed and hostile
//! packets), and `amber icarus --sim --pty PATH` end to end on the simulated
//! board, driven the way bfgminer's icarus driver drives a device: raw serial
//! on PATH, a 64-byte work packet, 4-byte answers.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use amber::device::protocol::NonceOrder;
use amber::device::{Driver, DriverConfig, DriverError};
use amber::hash::{Header, Nonce, GENESIS_HEADER_HEX as GENESIS};
use amber::icarus::{golden_packet, Bridge, IcarusEvent, IcarusWork, GOLDEN_NONCE};

use crate::support::fake_board::{FakeBoard, FakeConfig};
use crate::support::miner_process::Amber;

fn board(version: u8, nonces_per_read: u32) -> Driver {
    let mut cfg = FakeConfig {
        nonces_per_read,
        ..FakeConfig::default()
    };
    cfg.identity.protocol_version = version;
    let (_board, link) = FakeBoard::new(cfg, "fake");
    Driver::new(Box::new(link), DriverConfig::default()).unwrap()
}

/// The bridge on one end of a socket pair; the test plays bfgminer on the other.
struct Rig {
    bridge: Bridge,
    port: UnixStream,
    miner: UnixStream,
    events: Vec<IcarusEvent>,
}

impl Rig {
    fn new(nonces_per_read: u32) -> Rig {
        let (port, miner) = UnixStream::pair().unwrap();
        port.set_read_timeout(Some(Duration::from_millis(2)))
            .unwrap();
        miner
            .set_read_timeout(Some(Duration::from_millis(2)))
            .unwrap();
        Rig {
            bridge: Bridge::new(board(2, nonces_per_read)).unwrap(),
            port,
            miner,
            events: Vec::new(),
        }
    }

    fn step(&mut self) {
        let mut buf = [0u8; 256];
        let n = self.port.read(&mut buf).unwrap_or(0);
        let events = self
            .bridge
            .step(
                &mut self.port,
                &buf[..n],
                Instant::now(),
                Duration::from_millis(1),
            )
            .unwrap();
        self.events.extend(events);
    }

    /// Runs until `want` answer bytes came back (or `limit` steps); returns them.
    fn answers(&mut self, want: usize, limit: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..limit {
            self.step();
            if let Ok(n) = self.miner.read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
            }
            if got.len() >= want {
                break;
            }
        }
        got
    }
}

#[test]
fn a_version_1_board_cannot_be_an_icarus() {
    let err = Bridge::new(board(1, 512)).err().unwrap();
    assert!(
        matches!(
            err,
            DriverError::Unsupported {
                version: 1,
                needs: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_golden_probe_is_answered_and_new_work_aborts_the_old() {
    let mut rig = Rig::new(8192);
    rig.miner.write_all(&golden_packet()).unwrap();
    assert_eq!(rig.answers(4, 200_000), GOLDEN_NONCE);
    assert_eq!(rig.bridge.stats().answers, 1);
    // New work before the golden nonce is reached: the old work is abandoned
    // and its answer never comes.
    let genesis = Header::from_hex(GENESIS).unwrap();
    let other = IcarusWork {
        midstate: genesis.midstate(),
        tail: genesis.tail(),
    };
    rig.miner.write_all(&golden_packet()).unwrap();
    rig.step();
    rig.miner.write_all(&other.encode()).unwrap();
    let got = rig.answers(4, 400);
    assert!(got.is_empty(), "an answer for aborted work: {got:?}");
    assert_eq!(rig.bridge.stats().packets, 3);
    // And the golden work again is answered again.
    rig.miner.write_all(&golden_packet()).unwrap();
    assert_eq!(rig.answers(4, 200_000), GOLDEN_NONCE);
}

#[test]
fn malformed_and_hostile_packets_are_counted_and_survived() {
    let mut rig = Rig::new(8192);
    // Non-zero padding: not work.
    let mut bad = golden_packet();
    bad[33] = 0xff;
    rig.miner.write_all(&bad).unwrap();
    // A partial packet, then silence longer than a packet's gap.
    rig.miner.write_all(&[0x55; 17]).unwrap();
    for _ in 0..10 {
        rig.step();
    }
    std::thread::sleep(Duration::from_millis(250));
    // Random bytes in bursts, each followed by silence.
    let mut seed = 0x9e37_79b9_u32;
    for _ in 0..5 {
        let burst: Vec<u8> = (0..40)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        rig.miner.write_all(&burst).unwrap();
        rig.step();
        std::thread::sleep(Duration::from_millis(150));
        rig.step();
    }
    let stats = rig.bridge.stats();
    assert!(stats.malformed >= 7, "{stats:?}");
    assert!(rig.events.iter().any(
        |e| matches!(e, IcarusEvent::Malformed(m) if m.to_string().contains("cut short: 17 of 64"))
    ));
    // Still a working Icarus.
    rig.miner.write_all(&golden_packet()).unwrap();
    assert_eq!(rig.answers(4, 200_000), GOLDEN_NONCE);
}

/// The genesis header with another time: its nonce with header bytes
/// `nonce` makes a share of difficulty 1 (found by a search for nonces an
/// Icarus reaches early; the test checks it with the reference hasher).
fn genesis_at(time: u32) -> Header {
    let g = Header::from_hex(GENESIS).unwrap();
    Header::from_fields(
        g.version(),
        g.prev_hash(),
        g.merkle_root(),
        time,
        g.bits(),
        Nonce(0),
    )
}

/// Work near the start of the counter range: (header time, answer bytes).
const EARLY: [(u32, [u8; 4]); 2] = [
    (0x495f_b5dd, [0x00, 0x04, 0x46, 0x4c]),
    (0x495f_b0c4, [0x00, 0x0e, 0x96, 0xd9]),
];

fn icarus_work(header: &Header) -> [u8; 64] {
    IcarusWork {
        midstate: header.midstate(),
        tail: header.tail(),
    }
    .encode()
}

#[test]
fn real_nonces_of_work_come_back_as_header_bytes() {
    let mut rig = Rig::new(16384);
    for (time, bytes) in EARLY {
        let header = genesis_at(time);
        let nonce = Nonce(u32::from_le_bytes(bytes));
        assert_eq!(
            header.with_nonce(nonce).hash().leading_word(),
            0,
            "a share of difficulty 1"
        );
        rig.miner.write_all(&icarus_work(&header)).unwrap();
        assert_eq!(rig.answers(4, 400_000), bytes);
    }
}

/// Reads one 4-byte answer (bounded wait).
fn read_answer(port: &mut impl Read, amber: &Amber) -> Vec<u8> {
    let until = Instant::now() + Duration::from_secs(300);
    let mut answer = Vec::new();
    while answer.len() < 4 {
        assert!(Instant::now() < until, "no answer: {}", amber.errors());
        let mut buf = [0u8; 4];
        if let Ok(n) = port.read(&mut buf) {
            answer.extend_from_slice(&buf[..n]);
        }
    }
    answer
}

/// `amber icarus --sim --pty PATH` as bfgminer uses it: the golden probe is
/// answered with 000187a2 on the simulated board, in header-byte order, and
/// the nonce of other work written to it comes back the same way.
#[test]
fn amber_icarus_on_the_simulated_board_answers_the_golden_probe() {
    let dir = std::env::temp_dir().join(format!("amber-icarus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("icarus0");
    let path_arg = path.to_str().unwrap().to_string();
    let mut amber = Amber::start(&["icarus", "--sim", "--pty", &path_arg, "--duration", "600"]);
    let line = amber
        .wait_line(Duration::from_secs(120), |l| l.contains("answers on"))
        .unwrap_or_else(|| panic!("no pty: {}", amber.errors()));
    assert!(
        line.contains(&format!("bfgminer -S icarus:{path_arg}")),
        "{line}"
    );
    let mut port = serialport::new(&path_arg, 115_200)
        .timeout(Duration::from_millis(100))
        .open_native()
        .unwrap();
    port.write_all(&golden_packet()).unwrap();
    assert_eq!(read_answer(&mut port, &amber), GOLDEN_NONCE);
    assert_eq!(
        NonceOrder::HeaderBytes.counter(Nonce(u32::from_le_bytes(GOLDEN_NONCE))),
        100_258
    );
    assert!(amber
        .wait_line(Duration::from_secs(10), |l| l == "icarus: nonce 000187a2")
        .is_some());
    let (time, bytes) = EARLY[0];
    port.write_all(&icarus_work(&genesis_at(time))).unwrap();
    assert_eq!(read_answer(&mut port, &amber), bytes);
    let nonce = Nonce(u32::from_le_bytes(bytes));
    assert_eq!(genesis_at(time).with_nonce(nonce).hash().leading_word(), 0);
    drop(port);
    drop(amber);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn amber_icarus_refuses_a_taken_path_and_more_than_one_board() {
    let dir = std::env::temp_dir().join(format!("amber-icarus-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let taken = dir.join("taken");
    std::fs::write(&taken, b"keep me").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_amber"))
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["icarus", "--sim", "--pty", taken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("something is there already"), "{err}");
    assert_eq!(
        std::fs::read(&taken).unwrap(),
        b"keep me",
        "nothing clobbered"
    );
    let o = run(&[
        "icarus",
        "--sim",
        "--sim",
        "--pty",
        dir.join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("drives one board; 2 given"));
    let _ = std::fs::remove_dir_all(&dir);
}
