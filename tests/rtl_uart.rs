//! uart_baud / uart_rx / uart_tx on miner_top's pins: clock skew, framing
//! errors, breaks and glitches, then a valid frame that is answered.

use amber::device::protocol::{BoardFrame, HostFrame};

use crate::testbench::Testbench;

fn identify_answered(b: &mut Testbench) {
    let limit = b.bytes_time(100);
    assert!(
        matches!(b.recv(1, limit)[..], [BoardFrame::Identity(_)]),
        "IDENTIFY not answered"
    );
}

#[test]
fn board_transmits_at_the_configured_rate() {
    // The bench samples at the nominal rate: a board off by more than a few
    // percent produces framing errors or wrong bytes, which the decoder reports.
    let mut b = Testbench::new();
    let start = b.pins.cycles();
    let id = b.identify();
    assert_eq!(u64::from(id.core_clock_hz), b.top.clk_hz());
    // IDENTIFY (5 bytes) in, IDENTITY (18 bytes) out, back to back.
    let took = b.pins.cycles() - start;
    let ideal = b.bytes_time(5 + 18);
    assert!(
        took >= ideal && took < ideal + b.bytes_time(2),
        "{took} vs {ideal}"
    );
    assert_eq!(b.pins.framing_errors(), 0);
}

#[test]
fn receiver_tolerates_sender_clock_skew() {
    let mut b = Testbench::new();
    for percent in [-3i64, -1, 1, 3] {
        let baud = (b.top.baud() as i64 * (100 + percent) / 100) as u64;
        b.pins.set_send_baud(baud);
        b.send(&HostFrame::Identify);
        identify_answered(&mut b);
    }
}

#[test]
fn framing_error_and_break_then_valid_frame() {
    let mut b = Testbench::new();
    // A byte whose stop bit is low, then a long break (line held low).
    b.pins.send_bad_stop(0xa5);
    b.pins.idle(2);
    b.pins.level(false, 35);
    b.pins.idle(60);
    b.drive();
    b.run(b.bytes_time(30));
    // Whatever the line errors did, they were skipped or NAKed; the board
    // still answers.
    let stray = b.take_pending();
    assert!(
        stray.iter().all(|f| matches!(f, BoardFrame::Nak { .. })),
        "{stray:?}"
    );
    b.send(&HostFrame::Identify);
    identify_answered(&mut b);
}

#[test]
fn short_glitch_on_idle_line_is_not_a_start_bit() {
    let mut b = Testbench::new();
    let (before, _) = b.status();
    // A pulse much shorter than half a bit: the start bit is not low at its middle.
    for _ in 0..5 {
        b.top.set_uart_rx(false);
        b.top.step(2);
        b.top.set_uart_rx(true);
        b.top.step(40);
    }
    b.assert_quiet(b.bytes_time(10));
    let (after, other) = b.status();
    assert!(other.is_empty(), "{other:?}");
    assert_eq!(after.bad_frames, before.bad_frames);
}

#[test]
fn back_to_back_requests_get_answers() {
    let mut b = Testbench::new();
    let mut bytes = Vec::new();
    for _ in 0..3 {
        bytes.extend(HostFrame::Identify.encode());
        bytes.extend(HostFrame::StatusRequest.encode());
    }
    b.send_raw(&bytes);
    let limit = b.bytes_time(200);
    let got = b.recv(2, limit);
    // One IDENTITY and one STATUS pending at a time: a request repeated while
    // its answer waits is answered once.
    assert!(
        got.iter().any(|f| matches!(f, BoardFrame::Identity(_))),
        "{got:?}"
    );
    assert!(
        got.iter().any(|f| matches!(f, BoardFrame::Status(_))),
        "{got:?}"
    );
    b.run(b.bytes_time(100));
    let rest = b.take_pending();
    assert!(
        rest.iter()
            .all(|f| matches!(f, BoardFrame::Identity(_) | BoardFrame::Status(_))),
        "{rest:?}"
    );
}
