//! Faults between the driver and the simulated board: corrupted results, a
//! silent link, and the latency of a new job through a slow link.

use super::*;

/// Sits between the driver and the simulated board and corrupts the nonce
/// of every `every`-th RESULT frame in flight, with a valid CRC: only the
/// reference re-hash can tell.
struct CorruptingLink {
    inner: SimLink,
    decoder: FrameDecoder,
    every: u32,
    seen: u32,
    corrupted: Arc<AtomicU32>,
}

impl Link for CorruptingLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.inner.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let mut raw = vec![0u8; buf.len()];
        let n = self.inner.read(&mut raw, timeout)?;
        let mut out = Vec::new();
        for frame in self.decoder.push(&raw[..n]).collect::<Vec<_>>() {
            let frame = frame.expect("the simulated board sends valid frames");
            let frame = match frame {
                BoardFrame::Result { tag, nonce } => {
                    self.seen += 1;
                    if self.seen % self.every == 0 {
                        self.corrupted.fetch_add(1, Ordering::SeqCst);
                        BoardFrame::Result {
                            tag,
                            nonce: Nonce(nonce.0 ^ 0x0001_0000),
                        }
                    } else {
                        frame
                    }
                }
                other => other,
            };
            out.extend(frame.encode());
        }
        // Whole frames only reach the driver; a partial one waits in the decoder.
        assert!(
            out.len() <= buf.len() * 2,
            "read buffer too small for re-encoded frames"
        );
        let take = out.len().min(buf.len());
        buf[..take].copy_from_slice(&out[..take]);
        assert_eq!(take, out.len(), "frames larger than the read buffer");
        Ok(take)
    }

    fn name(&self) -> String {
        "sim (corrupting)".to_string()
    }
}

#[test]
fn corrupted_nonce_is_a_hardware_error_and_never_submitted() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    server.notify(notify("j1", 0x495f_ab29, true));
    let corrupted = Arc::new(AtomicU32::new(0));
    let link = CorruptingLink {
        inner: sim_link(),
        decoder: FrameDecoder::new(),
        every: 2,
        seen: 0,
        corrupted: corrupted.clone(),
    };
    let mut miner = miner(Box::new(source), vec![Box::new(link)]);
    let mut events = Vec::new();
    assert!(
        run_until(&mut miner, &mut events, |e| hardware_errors(e) >= 2
            && accepted(e) >= 2),
        "events: {events:?}"
    );
    let snap = miner.snapshot();
    assert_eq!(
        snap.boards[0].hardware_errors,
        u64::from(corrupted.load(Ordering::SeqCst)),
        "every corrupted nonce, and only those, is a hardware error"
    );
    // No corrupted nonce reached the pool.
    assert_every_submission_accepted(&server);
    let found = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                MinerEvent::Found {
                    submitted: true,
                    ..
                }
            )
        })
        .count();
    server.wait_until(Duration::from_secs(10), |s| s.submissions().len() >= found);
    assert_eq!(server.submissions().len(), found);
}

/// Passes bytes until told to go silent; then swallows writes and answers
/// nothing, like an unplugged cable that the OS has not noticed.
struct SilenceableLink {
    inner: SimLink,
    silent: Arc<AtomicBool>,
}

impl Link for SilenceableLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        if self.silent.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.inner.write_all(bytes)
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.silent.load(Ordering::SeqCst) {
            std::thread::sleep(timeout.min(Duration::from_millis(20)));
            return Ok(0);
        }
        self.inner.read(buf, timeout)
    }

    fn name(&self) -> String {
        "sim (silenceable)".to_string()
    }
}

/// A driver on a simulated board behind a [`SilenceableLink`] (silent once the
/// flag is set), quick to notice silence and re-identifying `identify_tries` times.
fn silenceable_driver(identify_tries: u32) -> (Driver, Arc<AtomicBool>) {
    let silent = Arc::new(AtomicBool::new(false));
    let link = SilenceableLink {
        inner: sim_link(),
        silent: silent.clone(),
    };
    let config = DriverConfig {
        status_interval: Duration::from_millis(100),
        answer_deadline: Duration::from_secs(1),
        identify_tries,
        ..DriverConfig::default()
    };
    let driver =
        Driver::new(Box::new(link), config).expect("the board identifies before the fault");
    (driver, silent)
}

#[test]
fn silent_link_is_noticed_reported_and_given_up_clearly() {
    let (driver, silent) = silenceable_driver(2);
    let source = amber::work::Benchmark::new(ShareLog::default());
    let mut miner = Miner::new(
        Box::new(source),
        vec![driver],
        MinerConfig {
            unit_nonces: Some(UNIT),
            ..MinerConfig::default()
        },
    );
    let mut events = Vec::new();
    assert!(run_until(&mut miner, &mut events, found_any));
    silent.store(true, Ordering::SeqCst);
    let cut = events.len();
    assert!(
        run_until(&mut miner, &mut events, |e| {
            e.iter()
                .any(|e| matches!(e, MinerEvent::BoardFailed { .. }))
        }),
        "the silent board was never given up; events: {events:?}"
    );
    let after = &events[cut..];
    let attempts: Vec<u32> = after
        .iter()
        .filter_map(|e| match e {
            MinerEvent::BoardSilent { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2], "each re-identify attempt is reported");
    let failed = after.iter().find_map(|e| match e {
        MinerEvent::BoardFailed { error, .. } => Some(error),
        _ => None,
    });
    assert!(
        matches!(failed, Some(DriverError::Silent { tries: 2, .. })),
        "{failed:?}"
    );
    assert!(!miner.any_alive());
}

#[test]
fn silent_link_that_comes_back_gets_its_work_again() {
    let (mut driver, silent) = silenceable_driver(1000);
    let header = Header::from_hex(GENESIS).unwrap();
    driver
        .push(WorkUnit {
            id: 1,
            midstate: header.midstate(),
            tail: header.tail(),
            nonce_start: 0x7c2b_a000,
            nonce_end: 0x7c2b_afff,
            threshold: 0,
            order: NonceOrder::Number,
        })
        .unwrap();
    silent.store(true, Ordering::SeqCst);
    let mut events = Vec::new();
    let until = Instant::now() + RUN_LIMIT;
    while !events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Silent { attempt: 2 }))
    {
        assert!(Instant::now() < until);
        events.extend(driver.poll(Duration::from_millis(10)).unwrap());
    }
    silent.store(false, Ordering::SeqCst);
    let mut found = false;
    while !events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Done { id: 1 }))
    {
        assert!(Instant::now() < until, "no DONE after recovery: {events:?}");
        for e in driver.poll(Duration::from_millis(10)).unwrap() {
            found |= matches!(
                e,
                DeviceEvent::Found {
                    nonce: Nonce(0x7c2b_ac1d),
                    ..
                }
            );
            events.push(e);
        }
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, DeviceEvent::Recovered(_))));
    assert!(found, "the re-sent work found the genesis nonce");
}

/// Passes everything through and publishes the simulated board's clock.
struct ClockedLink {
    inner: SimLink,
    nanos: Arc<AtomicU64>,
}

impl ClockedLink {
    fn publish(&self) {
        let nanos = u64::try_from(self.inner.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(nanos, Ordering::SeqCst);
    }
}

impl Link for ClockedLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let r = self.inner.write_all(bytes);
        self.publish();
        r
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let r = self.inner.read(buf, timeout);
        self.publish();
        r
    }

    fn name(&self) -> String {
        self.inner.name()
    }
}

/// Latency from a clean pool job to the board hashing it, in wall time (what
/// the simulation costs) and in the board's simulated time (what a board at
/// the model's clock and baud rate would see). Printed, never asserted.
#[test]
fn latency_from_a_new_job_to_the_board_hashing_it() {
    let server = easy_server();
    let source = pool_source(&server, ShareLog::default());
    assert!(server.wait_until(Duration::from_secs(10), |s| s.live_connections() == 1));
    let nanos = Arc::new(AtomicU64::new(0));
    let link = ClockedLink {
        inner: sim_link(),
        nanos: nanos.clone(),
    };
    let mut miner = miner(Box::new(source), vec![Box::new(link)]);
    let mut events = Vec::new();
    let mut board_times = Vec::new();
    for (i, job) in ["j1", "j2", "j3", "j4", "j5"].iter().enumerate() {
        server.notify(notify(job, 0x495f_ab29 + i as u32, true));
        let cut = events.len();
        let mut announced = None;
        let until = Instant::now() + RUN_LIMIT;
        loop {
            assert!(Instant::now() < until, "no latency event: {events:?}");
            let before = nanos.load(Ordering::SeqCst);
            let step = miner.step();
            let new_work = step
                .iter()
                .any(|e| matches!(e, MinerEvent::NewWork { clean: true, .. }));
            if new_work {
                // Simulated time does not pass outside link calls: the board's
                // clock at the announcement is its clock before this step.
                announced = Some(before);
            }
            let done = step.iter().any(|e| matches!(e, MinerEvent::Latency { .. }));
            events.extend(step);
            if done {
                if let Some(t0) = announced {
                    board_times.push(Duration::from_nanos(nanos.load(Ordering::SeqCst) - t0));
                }
                break;
            }
        }
        assert!(events[cut..]
            .iter()
            .any(|e| matches!(e, MinerEvent::NewWork { .. })));
    }
    let samples: Vec<(Duration, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            MinerEvent::Latency {
                to_sent,
                to_hashing,
                ..
            } => Some((*to_sent, *to_hashing)),
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), 5);
    for ((to_sent, to_hashing), board) in samples.iter().zip(&board_times) {
        assert!(to_sent <= to_hashing);
        println!(
            "latency: new job -> WORK written {:.1} ms, -> board hashing it {:.1} ms wall; {:.2} ms of board time",
            to_sent.as_secs_f64() * 1e3,
            to_hashing.as_secs_f64() * 1e3,
            board.as_secs_f64() * 1e3
        );
    }
}
