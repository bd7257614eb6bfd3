//! Every board of boards.toml, in its exact configuration: it has a `miner_top`
//! model with the board's clock, UART rate, rounds per clock, cores and
//! schedule RAMs, and a `sha256d_miner` model of its core (which the
//! rtl_sha256d_miner differential tests run on); on its pins, the board's
//! model identifies itself and finds the real nonces of block headers and the
//! qualifying nonces of random work.

use amber::board::{boards, hashes_per_clock, BoardSpec};
use amber::device::protocol::BoardFrame;
use amber::hash::{Header, Nonce};
use amber_sim::miner_top::MinerTop;
use amber_sim::{ModelInfo, Sha256dMiner};

use crate::testbench::{expected_results, random_bytes, seeded, work, Testbench};
use crate::util::block_headers;

/// The `miner_top` model of `board`.
fn top_model_name(board: &BoardSpec) -> String {
    format!("miner_top_{}", board.name.replace('-', "_"))
}

/// Whether `model` sets `key` to `value` (an absent SCHEDULE_BRAMS is 0).
fn sets(model: &ModelInfo, key: &str, value: u32) -> bool {
    let default = (key == "SCHEDULE_BRAMS").then_some(0);
    model.param(key).or(default) == Some(value)
}

fn core_params(board: &BoardSpec) -> [(&'static str, u32); 3] {
    [
        ("ROUNDS_PER_CLK", board.rounds_per_clk),
        ("CORES", board.cores),
        ("SCHEDULE_BRAMS", board.schedule_brams),
    ]
}

#[test]
fn every_board_has_its_models() {
    for board in boards() {
        let name = top_model_name(board);
        let top = MinerTop::models()
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("board {}: no model {name} (sim/build.rs)", board.name));
        let mut want = vec![("CLK_HZ", board.core_hz), ("BAUD", board.baud)];
        want.extend(core_params(board));
        for (key, value) in want {
            assert!(
                sets(top, key, value),
                "{name}: {key} is not {value}: {top:?}"
            );
        }
        assert!(
            Sha256dMiner::models()
                .iter()
                .any(|m| core_params(board).iter().all(|&(k, v)| sets(m, k, v))),
            "board {}: no sha256d_miner model with {:?}",
            board.name,
            core_params(board)
        );
    }
}

/// The frames up to DONE `tag`, the results of `tag` among them.
fn results(frames: &[BoardFrame], want_tag: u8) -> Vec<Nonce> {
    frames
        .iter()
        .filter_map(|f| match f {
            BoardFrame::Result { tag, nonce } if *tag == want_tag => Some(*nonce),
            _ => None,
        })
        .collect()
}

/// Runs `start..=end` of `header` on the board and checks its results.
fn check_range(
    b: &mut Testbench,
    board: &BoardSpec,
    tag: u8,
    header: &Header,
    range: (u32, u32),
    threshold: u32,
) -> Vec<Nonce> {
    let (start, end) = range;
    let want = expected_results(header, start, end, threshold);
    b.send(&work(tag, header, start, end, threshold));
    let nonces = f64::from(end - start) + 1.0;
    let hash_clocks = (nonces / hashes_per_clock(board.rounds_per_clk, board.cores)) as u64;
    let limit = hash_clocks + 2_000 + b.bytes_time(100 + 10 * want.len() as u64);
    let got = b.recv_until(limit, |f| *f == BoardFrame::Done { tag });
    let found = results(&got, tag);
    assert_eq!(found, want, "{}: {} tag {tag}", board.name, b.note);
    found
}

#[test]
fn every_board_model_mines_real_and_random_work() {
    let (mut rng, seed) = seeded();
    for board in boards() {
        let mut b = Testbench::of_model(&top_model_name(board));
        b.note = format!("board {} seed {seed}", board.name);
        let id = b.identify();
        assert_eq!(u64::from(id.core_clock_hz), u64::from(board.core_hz));
        assert_eq!(u32::from(id.rounds_per_clk), board.rounds_per_clk);
        assert_eq!(u32::from(id.cores), board.cores);
        // Two real headers, the range a few hundred nonces around the real one.
        for (i, header) in block_headers().into_iter().take(2).enumerate() {
            let nonce = header.nonce().0;
            let range = (nonce.saturating_sub(200), nonce.saturating_add(100));
            let threshold = header
                .target()
                .expect("real headers have a target")
                .leading_word();
            let found = check_range(&mut b, board, i as u8, &header, range, threshold);
            assert!(found.contains(&header.nonce()), "{}: block {i}", b.note);
        }
        // Random work with a loose threshold, so several nonces qualify.
        let bytes: [u8; 80] = random_bytes(&mut rng, 80).try_into().expect("80 bytes");
        let start = rng.next_u32();
        let range = (start, start.saturating_add(300));
        check_range(
            &mut b,
            board,
            7,
            &Header::from_bytes(bytes),
            range,
            0x0400_0000,
        );
    }
}
