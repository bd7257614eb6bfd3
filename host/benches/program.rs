//! `make bench-program`: programs a full-size image into every board of the
//! board table through the real programmers, on the emulated FTDI chip, and
//! prints what a real link would carry and how long it would take on real
//! USB (the model in `docs/programming-speed.md`). `JSON=1` prints one JSON
//! object per line instead of the table.

use std::process::ExitCode;

use amber::board::{self, BoardSpec, ProgramMethod};
use amber::emulator::{
    ecp5_test_bitstream, ice40_test_image, Board, Ecp5Board, Ecp5Geometry, Emulator, Ice40Board,
    SpiFlash, Stats,
};
use amber::program::parts::{ecp5_part, ice40_part};
use amber::program::{
    Ecp5Jtag, Ice40Spi, Phase, ProgramError, Programmer, Progress, DEFAULT_CLOCK_HZ, ULX3S_FT231X,
};
use amber::usb::ChipType;

/// An ECP5 image as large as a compressed 85F design (`ecppack --compress`),
/// the size the comparison with other loaders uses.
const ECP5_IMAGE_BYTES: usize = 1_200_000;
/// The configuration flash on every emulated board: 16 MiB, W25Q128JV ID.
const FLASH_BYTES: usize = 16 << 20;
const FLASH_ID: [u8; 3] = [0xEF, 0x40, 0x18];

/// A programming operation: SRAM load or flash write.
type Operation = fn(&mut dyn Programmer, &[u8], &mut dyn Progress) -> Result<(), ProgramError>;

/// One programming operation of one board, as measured.
struct Row {
    board: String,
    op: &'static str,
    image: usize,
    stats: Stats,
    phases: Vec<(Phase, Stats)>,
}

/// Counts each phase the programmer reports, off the emulator's counters.
struct PhaseCounts<'a> {
    emulator: &'a Emulator,
    current: Option<(Phase, Stats)>,
    phases: Vec<(Phase, Stats)>,
}

impl Progress for PhaseCounts<'_> {
    fn begin(&mut self, phase: Phase, _total: u64) {
        self.current = Some((phase, self.emulator.stats()));
    }
    fn advance(&mut self, _done: u64) {}
    fn end(&mut self) {
        if let Some((phase, start)) = self.current.take() {
            self.phases
                .push((phase, self.emulator.stats().since(&start)));
        }
    }
}

/// The emulated chip and board for `board`, and the image to program.
fn setup(board: &BoardSpec) -> Result<(Emulator, Vec<u8>), String> {
    let flash = SpiFlash::new(FLASH_BYTES, FLASH_ID, false);
    match board.program.method {
        ProgramMethod::Ice40Spi => {
            let part = ice40_part(&board.device)
                .ok_or_else(|| format!("{}: unknown iCE40 {}", board.name, board.device))?;
            let image = ice40_test_image(part.image_bytes, 7);
            let fpga = Ice40Board::new(part.image_bytes, flash);
            Ok((Emulator::new(ChipType::Ft2232H, Board::Ice40(fpga)), image))
        }
        ProgramMethod::Ecp5Jtag | ProgramMethod::Ecp5JtagBitbang => {
            let part = ecp5_part(&board.device)
                .ok_or_else(|| format!("{}: unknown ECP5 {}", board.name, board.device))?;
            // Frames of the part's width, as many as make the image size.
            let geometry = Ecp5Geometry {
                frames: ECP5_IMAGE_BYTES / (part.frame_bytes + 3),
                frame_bytes: part.frame_bytes,
            };
            let image = ecp5_test_bitstream(part.idcode.0, geometry, 7);
            let fpga = Board::Ecp5(Ecp5Board::new(part.idcode.0, geometry, flash));
            let emulator = if board.program.method == ProgramMethod::Ecp5JtagBitbang {
                Emulator::bitbang(ChipType::Ft231X, fpga, ULX3S_FT231X.into())
            } else {
                Emulator::new(ChipType::Ft2232H, fpga)
            };
            Ok((emulator, image))
        }
    }
}

/// Opens the board's programmer on the emulated chip.
fn programmer(board: &BoardSpec, emulator: &Emulator) -> Result<Box<dyn Programmer>, ProgramError> {
    let ftdi = emulator.open(board.program.interface)?;
    let device = Some(board.device.as_str());
    let hz = board.program.freq_hz.unwrap_or(DEFAULT_CLOCK_HZ);
    Ok(match board.program.method {
        ProgramMethod::Ice40Spi => Box::new(Ice40Spi::open(ftdi, device, hz)?),
        ProgramMethod::Ecp5Jtag => Box::new(Ecp5Jtag::open(ftdi, device, hz)?),
        ProgramMethod::Ecp5JtagBitbang => {
            Box::new(Ecp5Jtag::open_bitbang(ftdi, ULX3S_FT231X, device)?)
        }
    })
}

/// Loads SRAM, then writes and verifies the flash; counts each on its own
/// (opening the programmer is counted with the operation that follows it).
fn measure(board: &BoardSpec) -> Result<Vec<Row>, String> {
    let (emulator, image) = setup(board)?;
    let mut rows = Vec::new();
    let ops: [(&str, Operation); 2] = [
        ("sram", |p, data, progress| p.load_sram(data, progress)),
        ("flash", |p, data, progress| p.write_flash(data, progress)),
    ];
    for (op, run) in ops {
        emulator.reset_stats();
        let mut phases = PhaseCounts {
            emulator: &emulator,
            current: None,
            phases: Vec::new(),
        };
        let mut prog = programmer(board, &emulator).map_err(|e| format!("{}: {e}", board.name))?;
        run(prog.as_mut(), &image, &mut phases).map_err(|e| format!("{} {op}: {e}", board.name))?;
        drop(prog);
        rows.push(Row {
            board: board.name.clone(),
            op,
            image: image.len(),
            stats: emulator.stats(),
            phases: phases.phases,
        });
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<12} {:<5} {:>9} {:>11} {:>11} {:>11} {:>9} {:>11} {:>9}  phases",
        "board",
        "op",
        "image",
        "bytes_out",
        "bytes_in",
        "round_trips",
        "controls",
        "cycles",
        "est_s"
    );
    for r in rows {
        let s = &r.stats;
        let phases: Vec<String> = r
            .phases
            .iter()
            .map(|(phase, p)| format!("{phase} {:.3}", p.elapsed.as_secs_f64()))
            .collect();
        println!(
            "{:<12} {:<5} {:>9} {:>11} {:>11} {:>11} {:>9} {:>11} {:>9.3}  {}",
            r.board,
            r.op,
            r.image,
            s.bytes_out,
            s.bytes_in,
            s.round_trips,
            s.control_transfers,
            s.cycles,
            s.elapsed.as_secs_f64(),
            phases.join(", ")
        );
    }
}

/// One JSON object per line, keys in the documented order.
fn print_json(rows: &[Row]) {
    for r in rows {
        let s = &r.stats;
        let text = |v: &str| serde_json::Value::from(v).to_string();
        println!(
            "{{\"board\":{},\"op\":{},\"bytes_out\":{},\"bytes_in\":{},\"round_trips\":{},\"cycles\":{},\"est_s\":{}}}",
            text(&r.board),
            text(r.op),
            s.bytes_out,
            s.bytes_in,
            s.round_trips,
            s.cycles,
            serde_json::Value::from((s.elapsed.as_secs_f64() * 1e3).round() / 1e3),
        );
    }
}

fn main() -> ExitCode {
    let json = std::env::var("JSON").is_ok_and(|v| !v.is_empty() && v != "0");
    let mut rows = Vec::new();
    for board in board::boards() {
        match measure(board) {
            Ok(measured) => rows.extend(measured),
            Err(err) => {
                eprintln!("bench-program: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    if json {
        print_json(&rows);
    } else {
        print_table(&rows);
    }
    ExitCode::SUCCESS
}
