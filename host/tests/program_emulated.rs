//! The real programmers, through the real FTDI and MPSSE code, on the
//! emulated FTDI chip and its emulated boards.

use amber::emulator::{
    ecp5_test_bitstream, ice40_test_image, Board, Ecp5Geometry, Emulator, Event, Fault,
};
use amber::program::{Ecp5Jtag, Ice40Spi, Idcode, ProgramError, Programmer, ECP5_PARTS};
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
        let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), Some("up5k")).unwrap();
        prog.load_sram(&image).unwrap();
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
    let mut ftdi_prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), None).unwrap();
    // A full-size file whose wake-up command is missing: the FPGA never finishes.
    let mut broken = image.clone();
    let n = broken.len();
    broken[n - 3] = 0x00;
    let err = ftdi_prog.load_sram(&broken).unwrap_err();
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
        let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), Some("up5k")).unwrap();
        let probe = prog.probe().unwrap();
        assert_eq!(probe.flash.unwrap().0, [0xEF, 0x40, 0x18]);
        prog.write_flash(&image).unwrap();
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
    let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), Some("up5k")).unwrap();
    emu.clear_events();
    let err = prog.load_sram(&hx8k_image).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bitstream is for hx8k (135100 bytes) but the board has up5k (104090 bytes)"
    );
    assert!(err.is_input_error());
    let err = prog.write_flash(&hx8k_image).unwrap_err();
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
    let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), None).unwrap();
    let err = prog.write_flash(&image).unwrap_err();
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
    let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), None).unwrap();
    emu.inject(Fault::UnplugAfter(50_000));
    let err = prog.load_sram(&image).unwrap_err();
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
    let err = Ice40Spi::open(emu.open(Interface::A).unwrap(), None).unwrap_err();
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
        let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), Some("25k")).unwrap();
        assert_eq!(prog.probe().unwrap().idcode, Some(Idcode(LFE5U_25F)));
        prog.load_sram(&bit).unwrap();
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
    let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None).unwrap();
    let err = prog.load_sram(&bit).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bitstream is for LFE5U-25F (0x41111043) but the chip is LFE5U-85F (0x41113043)"
    );
    let err = prog.write_flash(&bit).unwrap_err();
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
        let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None).unwrap();
        prog.write_flash(&bit).unwrap();
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
    use amber::emulator::BitbangWiring;
    use amber::program::ULX3S_FT231X;
    // A small die keeps two pin bytes per TCK quick: 40 frames of 74 bytes.
    let small = Ecp5Geometry {
        frames: 40,
        frame_bytes: 74,
    };
    let wiring = BitbangWiring {
        tck: ULX3S_FT231X.tck,
        tms: ULX3S_FT231X.tms,
        tdi: ULX3S_FT231X.tdi,
        tdo: ULX3S_FT231X.tdo,
    };
    let emu = Emulator::ecp5_bitbang(LFE5U_25F, small, wiring);
    let bit = ecp5_test_bitstream(LFE5U_25F, small, 8);
    {
        let ftdi = emu.open(Interface::A).unwrap();
        let mut prog = Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, None).unwrap();
        assert_eq!(prog.idcode().unwrap(), Idcode(LFE5U_25F));
        prog.load_sram(&bit).unwrap();
        assert!(prog.status().unwrap().done());
        prog.write_flash(&bit).unwrap();
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
    let mut prog = Ecp5Jtag::open(emu.open(Interface::A).unwrap(), None).unwrap();
    match prog.load_sram(cut).unwrap_err() {
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
    use amber::usb::ChipType;
    // 64-byte packets and a 384-byte read FIFO: reads must be split to fit.
    let flash = SpiFlash::new(4 << 20, [0xEF, 0x40, 0x16], true);
    let emu = Emulator::new(
        ChipType::Ft2232D,
        Board::Ice40(Ice40Board::new(32_220, flash)),
    );
    let image = ice40_test_image(32_220, 4);
    {
        let mut prog = Ice40Spi::open(emu.open(Interface::A).unwrap(), Some("hx1k")).unwrap();
        prog.write_flash(&image).unwrap();
        prog.load_sram(&image).unwrap();
    }
    assert!(ice40_cdone(&emu));
    released(&emu);
}
