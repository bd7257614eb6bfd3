//! Real block headers through the whole host pipeline: the Stratum job, the
//! driver, the FTDI UART code, and the simulated board.

use super::*;

#[test]
fn genesis_vector_reproduces_through_the_real_pipeline() {
    let v = genesis_vector();
    let p = &v["notify_params"];
    let s = |i: usize| p[i].as_str().expect("string param");
    let branch: Vec<&str> = Vec::new();
    let job =
        StratumJob::from_notify(s(0), s(1), s(2), s(3), &branch, s(5), s(6), s(7), true).unwrap();
    let difficulty = 1.0;
    let spec = JobSpec {
        job,
        extranonce1: hex::decode(v["extranonce1"].as_str().unwrap()).unwrap(),
        extranonce2_size: 4,
        difficulty,
        share_target: amber::hash::Target::from_difficulty(difficulty).unwrap(),
        version_mask: 0,
        pool: 0,
        session: 1,
    };
    let extranonce2 = u32::from_str_radix(v["extranonce2"].as_str().unwrap(), 16).unwrap();
    let mut work = JobRoller::new(spec, 1, u64::from(extranonce2));
    let mut item = work.next_item(u32::MAX).expect("the job yields work");
    // The pipeline built the header; sweep only around the real nonce (the
    // whole range is 2^32 nonces: hours of simulation).
    item.nonce_start = 0x7c2b_a000;
    item.nonce_end = 0x7c2b_afff;
    let header = Header::from_hex(v["header80"].as_str().unwrap()).unwrap();
    assert_eq!(item.midstate, header.midstate());
    assert_eq!(
        item.midstate.to_hex(),
        v["midstate_be_words"].as_str().unwrap()
    );
    let unit = WorkUnit {
        id: 0,
        midstate: item.midstate,
        tail: item.tail,
        nonce_start: item.nonce_start,
        nonce_end: item.nonce_end,
        threshold: item.threshold,
        order: NonceOrder::Number,
    };
    let (found, driver) = sweep(Box::new(sim_link()), unit);
    // Every nonce of the range the reference hasher says meets the threshold,
    // and nothing else.
    let expected: Vec<u32> = (item.nonce_start..=item.nonce_end)
        .filter(|&n| item.midstate.hash_with(&item.tail, Nonce(n)).leading_word() <= item.threshold)
        .collect();
    let got: Vec<u32> = found.iter().map(|(n, _)| n.0).collect();
    assert_eq!(got, expected);
    assert_eq!(driver.stats().hardware_errors, 0);
    let (nonce, _) = found
        .iter()
        .find(|(n, _)| n.0 == 0x7c2b_ac1d)
        .expect("the genesis nonce is found");
    let check = item.check(*nonce);
    assert!(check.meets_target);
    assert_eq!(check.hash.display_hex(), v["block_hash"].as_str().unwrap());
    let share = check.share;
    let submit = [
        "worker".to_string(),
        share.job_id.clone(),
        hex::encode(&share.extranonce2),
        format!("{:08x}", share.ntime),
        share.nonce.submit_hex(),
    ];
    let expected_submit: Vec<String> = v["submit_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(submit.to_vec(), expected_submit);
}

/// The FTDI UART path end to end: the real FTDI code (`FtdiUart` over `Ftdi`)
/// on the emulated FT2232H, whose channel B is wired to the Verilator model
/// of `miner_top`. Every real header's nonce comes back through USB packets
/// with their status bytes, as it would from an iCEBreaker.
#[test]
fn real_headers_mined_through_the_ftdi_uart_on_the_simulated_board() {
    use amber::emulator::{Board, Emulator, LinkPeer};
    use amber::link::ftdi::FtdiUart;
    use amber::usb::ChipType;

    let board = amber::board::find("icebreaker").expect("the iCEBreaker is in the board table");
    let link = sim_link();
    assert_eq!(
        u64::from(board.baud),
        link.baud(),
        "the simulated board runs the iCEBreaker's baud rate"
    );
    let emulator = Emulator::new(ChipType::Ft2232H, Board::None);
    emulator.attach_uart(
        board.stream.interface,
        Box::new(LinkPeer::new(link, board.baud)),
    );
    let ftdi = emulator
        .open(board.stream.interface)
        .expect("the emulated FT2232H opens");
    let uart = FtdiUart::open(ftdi, board.baud).expect("the UART channel is set up");
    let mut driver = sim_driver(Box::new(uart));

    for (i, header) in crate::util::block_headers().iter().enumerate() {
        let real = header.nonce().0;
        let target = header.target().unwrap();
        let unit = WorkUnit {
            id: i as u64,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: real.saturating_sub(1500),
            nonce_end: real.saturating_add(500),
            threshold: target.leading_word(),
            order: NonceOrder::Number,
        };
        let found = sweep_on(&mut driver, unit);
        let winners: Vec<_> = found
            .iter()
            .filter(|(_, hash)| hash.meets(&target))
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "block {i}: exactly the real nonce meets the target"
        );
        assert_eq!(winners[0].0, header.nonce());
        assert_eq!(winners[0].1, header.hash());
    }
    assert_eq!(driver.stats().hardware_errors, 0);
    assert!(
        emulator.claimed(board.stream.interface),
        "the stream channel stays claimed while in use"
    );
}
