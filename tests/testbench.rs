//! A testbench around the simulated `miner_top`: the model, the bit-level
//! UART on its pins and the host's frame codec, for the rtl_* tests.

use amber::device::protocol::{
    BoardFrame, FrameDecoder, HostFrame, Identity, NonceOrder, Status, Work,
};
use amber::hash::{Header, Nonce};
use amber_sim::miner_top::MinerTop;
use amber_sim::uart_pins::UartPins;

use crate::util::{seed, Rng};

/// The example frames of docs/protocol.md, by name.
pub fn example(name: &str) -> Vec<u8> {
    let doc = include_str!("../docs/protocol.md");
    let block = doc
        .split("```frames")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/protocol.md has a frames block");
    block
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(name)).then(|| {
                words
                    .map(|h| u8::from_str_radix(h, 16).expect("example frames are hex bytes"))
                    .collect()
            })
        })
        .unwrap_or_else(|| panic!("no example frame {name}"))
}

/// A work item over `start..=end` of `header`.
pub fn work(tag: u8, header: &Header, start: u32, end: u32, threshold: u32) -> HostFrame {
    HostFrame::Work(Work {
        tag,
        midstate: header.midstate(),
        tail: header.tail(),
        nonce_start: Nonce(start),
        nonce_end: Nonce(end),
        threshold,
        order: NonceOrder::Number,
    })
}

/// Every nonce of `start..=end` whose hash's leading word is `<= threshold`,
/// by the reference hasher.
pub fn expected_results(header: &Header, start: u32, end: u32, threshold: u32) -> Vec<Nonce> {
    let (mid, tail) = (header.midstate(), header.tail());
    (start..=end)
        .map(Nonce)
        .filter(|n| mid.hash_with(&tail, *n).leading_word() <= threshold)
        .collect()
}

/// `n` random bytes.
pub fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// A generator from the run's seed (`AMBER_TEST_SEED` or the clock), and the seed.
pub fn seeded() -> (Rng, u64) {
    let seed = seed();
    (Rng::new(seed), seed)
}

/// The simulated board on its pins.
pub struct Testbench {
    pub top: MinerTop,
    pub pins: UartPins,
    pub dec: FrameDecoder<BoardFrame>,
    /// Frames decoded but not yet taken.
    pending: Vec<BoardFrame>,
    /// Printed with every failure of the bench (e.g. the random seed).
    pub note: String,
}

impl Testbench {
    /// The `miner_top_sim` board (`amber --sim`).
    pub fn new() -> Self {
        Self::of_model(MinerTop::SIM_MODEL)
    }

    /// The `miner_top` model named `name` (see `MinerTop::models`).
    pub fn of_model(name: &str) -> Self {
        let top = MinerTop::new(name).unwrap_or_else(|e| panic!("model {name}: {e}"));
        let pins = UartPins::new(top.clk_hz(), top.baud());
        Testbench {
            top,
            pins,
            dec: FrameDecoder::new(),
            pending: Vec::new(),
            note: String::new(),
        }
    }

    /// Clocks in `n` byte times (10 bits each).
    pub fn bytes_time(&self, n: u64) -> u64 {
        self.pins.clocks_for_bits(10 * n)
    }

    /// One clock, decoding whatever the board sent.
    fn clock(&mut self) {
        self.pins.clock(&mut self.top);
        if self.pins.received() > 0 {
            let bytes = self.pins.take();
            for f in self.dec.push(&bytes) {
                match f {
                    Ok(f) => self.pending.push(f),
                    Err(e) => panic!("{}: the board sent a malformed frame: {e}", self.note),
                }
            }
        }
    }

    /// Runs `cycles` clocks.
    pub fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.clock();
        }
    }

    /// Drives queued line levels until done.
    pub fn drive(&mut self) {
        while self.pins.sending() {
            self.clock();
        }
    }

    /// Sends raw bytes back to back and drives them.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.pins.send(bytes);
        self.drive();
    }

    /// Sends a frame and drives it.
    pub fn send(&mut self, frame: &HostFrame) {
        self.send_raw(&frame.encode());
    }

    /// Runs until `n` frames have arrived (at most `max_cycles`) and takes them.
    pub fn recv(&mut self, n: usize, max_cycles: u64) -> Vec<BoardFrame> {
        let mut run = 0;
        while self.pending.len() < n && run < max_cycles {
            self.clock();
            run += 1;
        }
        assert!(
            self.pending.len() >= n,
            "{}: expected {n} frames within {max_cycles} clocks, got {:?}",
            self.note,
            self.pending
        );
        self.pending.drain(..n).collect()
    }

    /// Runs until a frame matching `pred` arrives (at most `max_cycles`);
    /// returns every frame up to and including it.
    pub fn recv_until(
        &mut self,
        max_cycles: u64,
        pred: impl Fn(&BoardFrame) -> bool,
    ) -> Vec<BoardFrame> {
        let mut run = 0;
        loop {
            if let Some(i) = self.pending.iter().position(&pred) {
                return self.pending.drain(..=i).collect();
            }
            assert!(
                run < max_cycles,
                "{}: no matching frame within {max_cycles} clocks; got {:?}",
                self.note,
                self.pending
            );
            self.clock();
            run += 1;
        }
    }

    /// Frames already decoded and not yet taken.
    pub fn take_pending(&mut self) -> Vec<BoardFrame> {
        std::mem::take(&mut self.pending)
    }

    /// Runs `cycles` clocks and asserts the board sent nothing.
    pub fn assert_quiet(&mut self, cycles: u64) {
        self.run(cycles);
        assert!(
            self.pending.is_empty() && !self.dec.in_frame(),
            "{}: unexpected frames: {:?}",
            self.note,
            self.pending
        );
        assert_eq!(self.pins.framing_errors(), 0);
    }

    /// Asks for STATUS and returns it (other frames before it are returned too).
    pub fn status(&mut self) -> (Status, Vec<BoardFrame>) {
        self.send(&HostFrame::StatusRequest);
        let limit = self.bytes_time(400);
        let mut frames = self.recv_until(limit, |f| matches!(f, BoardFrame::Status(_)));
        match frames.pop() {
            Some(BoardFrame::Status(s)) => (s, frames),
            other => panic!("expected STATUS, got {other:?}"),
        }
    }

    /// IDENTIFY → IDENTITY.
    pub fn identify(&mut self) -> Identity {
        self.send(&HostFrame::Identify);
        let limit = self.bytes_time(100);
        match self.recv(1, limit)[..] {
            [BoardFrame::Identity(id)] => id,
            ref other => panic!("expected IDENTITY, got {other:?}"),
        }
    }
}
