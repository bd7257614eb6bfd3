//! The real programmers, through the real FTDI and MPSSE code, on the
//! emulated FTDI chip and its emulated boards.

use amber::emulator::Stats;
use amber::emulator::{
    ecp5_test_bitstream, ice40_test_image, Board, Ecp5Geometry, Emulator, Event, Fault,
};
use amber::program::{
    Ecp5Jtag, Ice40Spi, Idcode, NoProgress, Phase, ProgramError, Programmer, Progress,
    DEFAULT_CLOCK_HZ, ECP5_PARTS, ULX3S_FT231X,
};
use amber::usb::ChipType;
use amber::usb::{Interface, UsbError};

const LFE5U_25F: u32 = 0x4111_1043;

fn geometry(idcode: u32) -> Ecp5Geometry {
    let part = ECP5_PARTS
        .iter()
        .find(|p| p.idcode.0 == idcode)
        .expect("the test uses a known ECP5 IDCODE");
    Ecp5Geometry {
        frames: part.frames,
        frame_bytes: part.frame_bytes,
    }
}

fn released(emu: &Emulator) {
    assert!(!emu.claimed(Interface::A), "interface A still claimed");
    assert!(
        emu.kernel_driver_attached(Interface::A),
        "kernel driver not re-attached"
    );
}

/// The iCE40 programmer on channel A at the default clock.
fn up5k(emu: &Emulator, device: Option<&str>) -> Ice40Spi {
    let ftdi = emu
        .open(Interface::A)
        .expect("channel A of the emulated chip opens");
    Ice40Spi::open(ftdi, device, DEFAULT_CLOCK_HZ).expect("the iCE40 programmer opens")
}

fn ice40_cdone(emu: &Emulator) -> bool {
    emu.with_board(|b| match b {
        Board::Ice40(b) => b.cdone(),
        _ => false,
    })
}

fn ecp5_done(emu: &Emulator) -> bool {
    emu.with_board(|b| match b {
        Board::Ecp5(b) => b.done(),
        _ => false,
    })
}

#[test]
fn ice40_image_loads_to_sram() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 5);
    {
        let mut prog = up5k(&emu, Some("up5k"));
        prog.load_sram(&image, &mut NoProgress).unwrap();
        prog.close();
    }
    assert!(ice40_cdone(&emu));
    assert!(emu.events().contains(&Event::Ice40Done));
    released(&emu);
}

#[test]
fn ice40_truncated_image_leaves_cdone_low() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 5);
    let mut ftdi_prog = up5k(&emu, None);
    // A full-size file whose wake-up command is missing: the FPGA never finishes.
    let mut broken = image.clone();
    let n = broken.len();
    broken[n - 3] = 0x00;
    let err = ftdi_prog.load_sram(&broken, &mut NoProgress).unwrap_err();
    assert!(matches!(err, ProgramError::CdoneLow { .. }), "{err}");
    drop(ftdi_prog);
    assert!(!ice40_cdone(&emu));
    released(&emu);
}

#[test]
fn ice40_flash_written_verified_and_booted() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 9);
    {
        let mut prog = up5k(&emu, Some("up5k"));
        let probe = prog.probe().unwrap();
        assert_eq!(probe.flash.unwrap().0, [0xEF, 0x40, 0x18]);
        prog.write_flash(&image, &mut NoProgress).unwrap();
    }
    let stored = emu.with_board(|b| match b {
        Board::Ice40(b) => b.flash.memory()[..image.len()].to_vec(),
        _ => Vec::new(),
    });
    assert_eq!(stored, image);
    assert!(ice40_cdone(&emu), "FPGA booted from the new flash image");
    // Only the sectors the image covers were erased: one 64K block and ten 4K sectors.
    let erases: Vec<_> = emu
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::FlashErase { .. }))
        .collect();
    assert_eq!(erases.len(), 11);
    assert!(
        emu.events().contains(&Event::FlashCommand(0xAB)),
        "flash woken from power-down"
    );
    released(&emu);
}

#[test]
fn ice40_wrong_device_is_refused_before_configuration() {
    let emu = Emulator::ice40_up5k();
    let hx8k_image = ice40_test_image(135_100, 1);
    let mut prog = up5k(&emu, Some("up5k"));
    emu.clear_events();
    let err = prog.load_sram(&hx8k_image, &mut NoProgress).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bitstream is for hx8k (135100 bytes) but the board has up5k (104090 bytes)"
    );
    assert!(err.is_input_error());
    let err = prog.write_flash(&hx8k_image, &mut NoProgress).unwrap_err();
    assert!(matches!(err, ProgramError::DeviceMismatch { .. }));
    assert_eq!(emu.events(), Vec::new(), "nothing was sent to the board");
    drop(prog);
    released(&emu);
}

#[test]
fn ice40_flash_verify_mismatch_is_reported() {
    let emu = Emulator::ice40_up5k();
    emu.inject(Fault::FlashCorruptAt(0x1234));
    let image = ice40_test_image(104_090, 2);
    let mut prog = up5k(&emu, None);
    let err = prog.write_flash(&image, &mut NoProgress).unwrap_err();
    match err {
        ProgramError::VerifyMismatch {
            address,
            expected,
            found,
        } => {
            assert_eq!(address, 0x1234);
            assert_eq!(expected, image[0x1234]);
            assert_eq!(found, image[0x1234] ^ 1);
        }
        other => panic!("unexpected {other}"),
    }
    drop(prog);
    released(&emu);
}

#[test]
fn unplug_mid_transfer_is_gone_and_released() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 3);
    let mut prog = up5k(&emu, None);
    emu.inject(Fault::UnplugAfter(50_000));
    let err = prog.load_sram(&image, &mut NoProgress).unwrap_err();
    assert!(
        matches!(err, ProgramError::Usb(UsbError::Gone { .. })),
        "{err}"
    );
    assert_eq!(err.to_string(), "the FTDI device went away during bulk out");
    drop(prog);
    released(&emu);
    assert!(matches!(
        emu.open(Interface::A),
        Err(UsbError::NoDevice { .. })
    ));
}

#[test]
fn short_reads_time_out_cleanly() {
    let emu = Emulator::ice40_up5k();
    emu.inject(Fault::ShortReads);
    let err = Ice40Spi::open(emu.open(Interface::A).unwrap(), None, DEFAULT_CLOCK_HZ).unwrap_err();
    assert!(
        matches!(
            err,
            ProgramError::Usb(UsbError::Timeout {
                actual: 1,
                expected: 2,
                ..
            })
        ),
        "{err}"
    );
    released(&emu);
}

#[test]
fn ecp5_image_loads_to_sram() {
    let emu = Emulator::ecp5(LFE5U_25F, geometry(LFE5U_25F));
    let bit = ecp5_test_bitstream(LFE5U_25F, geometry(LFE5U_25F), 4);
    {
        let mut prog = Ecp5Jtag::open(
            emu.open(Interface::A).unwrap(),
            Some("25k"),
            DEFAULT_CLOCK_HZ,
        )
        .unwrap();
        assert_eq!(prog.probe().unwrap().idcode, Some(Idcode(LFE5U_25F)));
        prog.load_sram(&bit, &mut NoProgress).unwrap();
        assert!(prog.status().unwrap().done());
    }
    assert!(ecp5_done(&emu));
    let irs: Vec<u8> = emu
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::JtagInstruction(ir) => Some(ir),
            _ => None,
        })
        .collect();
    for ir in [0xE0, 0xC6, 0x0E, 0x46, 0x7A, 0x26, 0x3C] {
        assert!(
            irs.contains(&ir),
            "instruction {ir:02x} missing from {irs:02x?}"
        );
    }
    released(&emu);
}

#[test]
fn ecp5_wrong_idcode_is_refused_before_configuration() {
    let emu = Emulator::ecp5(LFE5U_25F, geometry(LFE5U_25F));
    emu.inject(Fault::WrongIdcode(0x4111_3043));
    let bit = ecp5_test_bitstream(LFE5U_25F, geometry(LFE5U_25F), 4);
    let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None, DEFAULT_CLOCK_HZ).unwrap();
    let err = prog.load_sram(&bit, &mut NoProgress).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bitstream is for LFE5U-25F (0x41111043) but the chip is LFE5U-85F (0x41113043)"
    );
    let err = prog.write_flash(&bit, &mut NoProgress).unwrap_err();
    assert!(matches!(err, ProgramError::IdcodeMismatch { .. }));
    drop(prog);
    let irs: Vec<Event> = emu
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::JtagInstruction(_) | Event::FlashCommand(_)))
        .collect();
    assert!(
        irs.iter().all(|e| *e == Event::JtagInstruction(0xE0)),
        "only IDCODE reads were sent: {irs:?}"
    );
    released(&emu);
}

#[test]
fn ecp5_flash_through_background_spi() {
    let emu = Emulator::ecp5(LFE5U_25F, geometry(LFE5U_25F));
    let bit = ecp5_test_bitstream(LFE5U_25F, geometry(LFE5U_25F), 6);
    {
        let mut prog =
            Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None, DEFAULT_CLOCK_HZ).unwrap();
        prog.write_flash(&bit, &mut NoProgress).unwrap();
    }
    let stored = emu.with_board(|b| match b {
        Board::Ecp5(b) => b.flash.memory()[..bit.len()].to_vec(),
        _ => Vec::new(),
    });
    assert!(stored == bit, "flash holds the bitstream");
    assert!(ecp5_done(&emu), "FPGA reloaded from flash (REFRESH)");
    released(&emu);
}

#[test]
fn ecp5_over_ft231x_bitbang_loads_sram_and_flash() {
    use amber::program::ULX3S_FT231X;
    // A small die keeps two pin bytes per TCK quick: 40 frames of 74 bytes.
    let small = Ecp5Geometry {
        frames: 40,
        frame_bytes: 74,
    };
    let emu = Emulator::ecp5_bitbang(LFE5U_25F, small, ULX3S_FT231X.into());
    let bit = ecp5_test_bitstream(LFE5U_25F, small, 8);
    {
        let ftdi = emu.open(Interface::A).unwrap();
        let mut prog = Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, None).unwrap();
        assert_eq!(prog.idcode().unwrap(), Idcode(LFE5U_25F));
        prog.load_sram(&bit, &mut NoProgress).unwrap();
        assert!(prog.status().unwrap().done());
        prog.write_flash(&bit, &mut NoProgress).unwrap();
        prog.close();
    }
    assert!(ecp5_done(&emu));
    let stored = emu.with_board(|b| match b {
        Board::Ecp5(b) => b.flash.memory()[..bit.len()].to_vec(),
        _ => Vec::new(),
    });
    assert!(stored == bit, "flash holds the bitstream");
    released(&emu);
}

#[test]
fn ecp5_truncated_bitstream_reports_the_engine_error() {
    use amber::program::BseError;
    let emu = Emulator::ecp5(LFE5U_25F, geometry(LFE5U_25F));
    let bit = ecp5_test_bitstream(LFE5U_25F, geometry(LFE5U_25F), 4);
    // Passes the host's checks (preamble, IDCODE, size) but ends mid-frame.
    let cut = &bit[..bit.len() - 1000];
    let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None, DEFAULT_CLOCK_HZ).unwrap();
    match prog.load_sram(cut, &mut NoProgress).unwrap_err() {
        ProgramError::ConfigFailed { status } => {
            assert!(!status.done() && status.fail());
            assert_eq!(status.bse_error(), BseError::EndOfFile);
        }
        other => panic!("unexpected {other}"),
    }
    drop(prog);
    assert!(!ecp5_done(&emu));
    released(&emu);
}

#[test]
fn ice40_flash_on_a_full_speed_ft2232d_respects_its_small_fifo() {
    use amber::emulator::{Ice40Board, SpiFlash};
    // 64-byte packets and a 384-byte read FIFO: reads must be split to fit.
    let flash = SpiFlash::new(4 << 20, [0xEF, 0x40, 0x16], true);
    let emu = Emulator::new(
        ChipType::Ft2232D,
        Board::Ice40(Ice40Board::new(32_220, flash)),
    );
    let image = ice40_test_image(32_220, 4);
    {
        let mut prog = Ice40Spi::open(
            emu.open(Interface::A).unwrap(),
            Some("hx1k"),
            DEFAULT_CLOCK_HZ,
        )
        .unwrap();
        prog.write_flash(&image, &mut NoProgress).unwrap();
        prog.load_sram(&image, &mut NoProgress).unwrap();
    }
    assert!(ice40_cdone(&emu));
    released(&emu);
}

/// A [`Progress`] that records every report and the emulator's counts at
/// the start and end of each phase.
struct Recorder {
    emu: Emulator,
    phases: Vec<PhaseRecord>,
}

struct PhaseRecord {
    phase: Phase,
    total: u64,
    advances: Vec<u64>,
    start: Stats,
    counts: Stats,
}

impl Recorder {
    fn new(emu: &Emulator) -> Self {
        Recorder {
            emu: emu.clone(),
            phases: Vec::new(),
        }
    }

    fn phase(&self, phase: Phase) -> &PhaseRecord {
        self.phases
            .iter()
            .find(|p| p.phase == phase)
            .expect("the phase was reported")
    }

    fn names(&self) -> Vec<Phase> {
        self.phases.iter().map(|p| p.phase).collect()
    }
}

impl Progress for Recorder {
    fn begin(&mut self, phase: Phase, total: u64) {
        let start = self.emu.stats();
        self.phases.push(PhaseRecord {
            phase,
            total,
            advances: Vec::new(),
            start,
            counts: Stats::default(),
        });
    }
    fn advance(&mut self, done: u64) {
        if let Some(p) = self.phases.last_mut() {
            p.advances.push(done);
        }
    }
    fn end(&mut self) {
        let now = self.emu.stats();
        if let Some(p) = self.phases.last_mut() {
            p.counts = now.since(&p.start);
        }
    }
}

/// Every phase reached its total, `phase` in more than `steps` steps.
fn progress_moved(recorder: &Recorder, phase: Phase, steps: usize) {
    for p in &recorder.phases {
        assert_eq!(p.advances.iter().sum::<u64>(), p.total, "{}", p.phase);
    }
    let moves = recorder.phase(phase).advances.len();
    assert!(moves > steps, "{phase} moved {moves} times");
}

fn ice40_loaded(emu: &Emulator) -> Vec<u8> {
    emu.with_board(|b| match b {
        Board::Ice40(b) => b.loaded().to_vec(),
        _ => Vec::new(),
    })
}

fn ecp5_loaded(emu: &Emulator) -> Vec<u8> {
    emu.with_board(|b| match b {
        Board::Ecp5(b) => b.loaded().to_vec(),
        _ => Vec::new(),
    })
}

fn flash_memory(emu: &Emulator, len: usize) -> Vec<u8> {
    emu.with_board(|b| match b {
        Board::Ice40(b) => b.flash.memory()[..len].to_vec(),
        Board::Ecp5(b) => b.flash.memory()[..len].to_vec(),
        Board::None => Vec::new(),
    })
}

/// An FT231X with an ECP5 of `frames` 74-byte frames, wired as the ULX3S,
/// and a bitstream for it.
fn ulx3s(frames: usize) -> (Emulator, Vec<u8>) {
    let small = Ecp5Geometry {
        frames,
        frame_bytes: 74,
    };
    let emu = Emulator::ecp5_bitbang(LFE5U_25F, small, ULX3S_FT231X.into());
    (emu, ecp5_test_bitstream(LFE5U_25F, small, 8))
}

#[test]
fn ice40_sram_is_one_stream_and_loads_bit_exact() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 11);
    let mut recorder = Recorder::new(&emu);
    let mut prog = up5k(&emu, Some("up5k"));
    prog.load_sram(&image, &mut recorder).unwrap();
    assert_eq!(ice40_loaded(&emu), image);
    assert_eq!(recorder.names(), [Phase::Configure]);
    progress_moved(&recorder, Phase::Configure, 20);
    // The image is written without waiting; one read at its end confirms it ran.
    let counts = &recorder.phase(Phase::Configure).counts;
    assert_eq!(counts.round_trips, 1);
    assert_eq!(
        counts.cycles,
        image.len() as u64 * 8 + 100,
        "image bits and trailing clocks"
    );
}

#[test]
fn ice40_flash_is_one_batch_per_page_and_verifies_in_fifo_sized_reads() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 12);
    let mut recorder = Recorder::new(&emu);
    let mut prog = up5k(&emu, Some("up5k"));
    prog.write_flash(&image, &mut recorder).unwrap();
    assert_eq!(flash_memory(&emu, image.len()), image);
    assert_eq!(
        recorder.names(),
        [Phase::Erase, Phase::Write, Phase::Verify]
    );
    progress_moved(&recorder, Phase::Verify, 20);
    progress_moved(&recorder, Phase::Write, 400);
    // Write enable, program and the first status read share one round trip,
    // which finds a flash at its typical speed done.
    let pages = image.len().div_ceil(256) as u64;
    assert_eq!(recorder.phase(Phase::Write).counts.round_trips, pages);
    // Each erase is one round trip too, then busy polls.
    let erase = &recorder.phase(Phase::Erase).counts;
    assert!(erase.round_trips > 11, "polls while erasing");
    // The read-back fills the FT2232H's 4 KiB read FIFO each round trip.
    let fifo = (ChipType::Ft2232H.info().rx_buffer - 2) as u64;
    let verify = &recorder.phase(Phase::Verify).counts;
    assert_eq!(verify.round_trips, (image.len() as u64).div_ceil(fifo));
}

#[test]
fn a_slow_flash_is_polled_until_done() {
    let emu = Emulator::ice40_up5k();
    emu.inject(Fault::SlowFlash(8));
    let image = ice40_test_image(104_090, 13);
    let mut recorder = Recorder::new(&emu);
    let mut prog = up5k(&emu, None);
    prog.write_flash(&image, &mut recorder).unwrap();
    assert_eq!(flash_memory(&emu, image.len()), image);
    let pages = image.len().div_ceil(256) as u64;
    assert!(recorder.phase(Phase::Write).counts.round_trips > pages);
}

#[test]
fn mpsse_clock_follows_the_request_within_the_chips_range() {
    let emu = Emulator::ice40_up5k();
    let image = ice40_test_image(104_090, 14);
    {
        let mut prog =
            Ice40Spi::open(emu.open(Interface::A).unwrap(), Some("up5k"), 15_000_000).unwrap();
        emu.reset_stats();
        prog.load_sram(&image, &mut NoProgress).unwrap();
        assert_eq!(emu.stats().clock_hz, 15_000_000);
    }
    assert!(ice40_cdone(&emu));
    // Faster than the FT2232H's 30 MHz: refused before anything is sent.
    emu.clear_events();
    let err = Ice40Spi::open(emu.open(Interface::A).unwrap(), None, 31_000_000).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FT2232H cannot clock MPSSE at 31000000 Hz: it runs from 458 Hz to 30000000 Hz"
    );
    assert!(err.is_input_error());
    assert_eq!(emu.events(), Vec::new());
    released(&emu);
    let emu = Emulator::ecp5(LFE5U_25F, geometry(LFE5U_25F));
    let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None, 30_000_000).unwrap();
    assert_eq!(prog.idcode().unwrap(), Idcode(LFE5U_25F));
    assert_eq!(emu.stats().clock_hz, 30_000_000);
}

#[test]
fn ft231x_sram_streams_asynchronously_and_loads_bit_exact() {
    // 62 KB: four chunks of the stream.
    let (emu, bit) = ulx3s(800);
    let mut recorder = Recorder::new(&emu);
    let ftdi = emu.open(Interface::A).unwrap();
    let mut prog = Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, None).unwrap();
    prog.load_sram(&bit, &mut recorder).unwrap();
    assert!(ecp5_done(&emu));
    assert_eq!(ecp5_loaded(&emu), bit);
    progress_moved(&recorder, Phase::Configure, 3);
    // Asynchronous bit-bang: nothing read back, two pin bytes per TCK.
    let counts = &recorder.phase(Phase::Configure).counts;
    assert_eq!((counts.bulk_reads, counts.round_trips), (0, 0));
    assert!(counts.cycles >= bit.len() as u64 * 8);
    assert!(counts.bytes_out <= 2 * counts.cycles + 16, "{counts:?}");
}

#[test]
fn ft231x_flash_polls_with_pin_reads_and_verifies_in_whole_packets() {
    let (emu, bit) = ulx3s(40);
    let mut recorder = Recorder::new(&emu);
    let ftdi = emu.open(Interface::A).unwrap();
    let mut prog = Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, None).unwrap();
    prog.write_flash(&bit, &mut recorder).unwrap();
    prog.close();
    assert_eq!(flash_memory(&emu, bit.len()), bit);
    assert!(ecp5_done(&emu), "FPGA reloaded from flash");
    assert_eq!(
        recorder.names(),
        [Phase::Erase, Phase::Write, Phase::Verify]
    );
    progress_moved(&recorder, Phase::Write, 10);
    // Each page: one asynchronous batch and one pin read, no bulk read.
    let pages = bit.len().div_ceil(256) as u64;
    let write = &recorder.phase(Phase::Write).counts;
    assert_eq!((write.bulk_reads, write.control_transfers), (0, pages));
    // The read-back: synchronous exchanges of whole 62-byte packets, none
    // waiting for the latency timer.
    let verify = &recorder.phase(Phase::Verify).counts;
    assert_eq!(verify.latency_waits, 0);
    assert_eq!(verify.bytes_in % 64, 0);
    assert!(verify.round_trips >= verify.bytes_out / 496);
    released(&emu);
}

#[test]
fn ft231x_flash_corruption_and_slow_pages_are_caught() {
    let (emu, bit) = ulx3s(40);
    emu.inject(Fault::SlowFlash(8));
    emu.inject(Fault::FlashCorruptAt(0x321));
    let ftdi = emu.open(Interface::A).unwrap();
    let mut prog = Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, None).unwrap();
    match prog.write_flash(&bit, &mut NoProgress).unwrap_err() {
        ProgramError::VerifyMismatch {
            address,
            expected,
            found,
        } => {
            assert_eq!(address, 0x321);
            assert_eq!(expected, bit[0x321]);
            assert_eq!(found, bit[0x321] ^ 1);
        }
        other => panic!("unexpected {other}"),
    }
    // Every other byte made it despite the slow pages.
    let mut stored = flash_memory(&emu, bit.len());
    stored[0x321] ^= 1;
    assert_eq!(stored, bit);
}
