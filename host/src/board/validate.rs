//! Checks on the board table: every entry on its own, unique names, and no two
//! boards with one VID:PID that use an interface differently.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::{BoardSpec, BoardTableError, Family, Interface, LOCKSTEP_WINDOW_BRAMS};

impl BoardSpec {
    /// The board with another core (`None` keeps the board's setting), checked
    /// like a table entry: the flow builds a board's design with another core
    /// this way (`amber boards --make NAME --rounds-per-clk N`).
    pub fn with_core(
        &self,
        rounds_per_clk: Option<u32>,
        cores: Option<u32>,
        schedule_brams: Option<u32>,
    ) -> Result<BoardSpec, BoardTableError> {
        let board = BoardSpec {
            rounds_per_clk: rounds_per_clk.unwrap_or(self.rounds_per_clk),
            cores: cores.unwrap_or(self.cores),
            schedule_brams: schedule_brams.unwrap_or(self.schedule_brams),
            ..self.clone()
        };
        board.validate()?;
        Ok(board)
    }

    /// Checks one entry on its own (everything but uniqueness and USB clashes).
    fn validate(&self) -> Result<(), BoardTableError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(BoardTableError::BadName(self.name.clone()));
        }
        if !self.family.devices().contains(&self.device.as_str()) {
            return Err(BoardTableError::UnknownDevice {
                board: self.name.clone(),
                family: self.family,
                device: self.device.clone(),
            });
        }
        let ext_ok = self.constraints.extension().and_then(|e| e.to_str())
            == Some(self.family.constraints_extension());
        if !ext_ok {
            return Err(BoardTableError::ConstraintsExtension {
                board: self.name.clone(),
                family: self.family,
                file: self.constraints.clone(),
            });
        }
        if self.program.method.family() != self.family {
            return Err(BoardTableError::MethodFamily {
                board: self.name.clone(),
                family: self.family,
                method: self.program.method,
            });
        }
        let rounds_ok = self.rounds_per_clk.is_power_of_two() && self.rounds_per_clk <= 64;
        if !rounds_ok || !(1..=16).contains(&self.cores) {
            return Err(BoardTableError::BadCore {
                board: self.name.clone(),
                rounds_per_clk: self.rounds_per_clk,
                cores: self.cores,
            });
        }
        let brams_used = match self.rounds_per_clk {
            64 => self.family == Family::Ecp5,
            1 => self.schedule_brams == LOCKSTEP_WINDOW_BRAMS,
            _ => false,
        };
        if self.schedule_brams > 0 && !brams_used {
            return Err(BoardTableError::UnusedScheduleBrams {
                board: self.name.clone(),
                schedule_brams: self.schedule_brams,
            });
        }
        // The UART receiver oversamples 16x; below that it cannot find bit centres.
        if self.clock_hz == 0 || self.baud == 0 || self.core_hz / 16 < self.baud {
            return Err(BoardTableError::BadClock {
                board: self.name.clone(),
                clock_hz: self.clock_hz,
                core_hz: self.core_hz,
                baud: self.baud,
            });
        }
        if let Some(freq_hz) = self.program.freq_hz {
            let fastest = crate::usb::CHIPS
                .iter()
                .map(|c| c.mpsse_base_hz / 2)
                .max()
                .unwrap_or(0);
            if freq_hz == 0 || freq_hz > fastest || self.program.method.shares_interface() {
                return Err(BoardTableError::BadProgramFreq {
                    board: self.name.clone(),
                    freq_hz,
                    fastest,
                    method: self.program.method,
                });
            }
        }
        if self.program.interface == self.stream.interface
            && !self.program.method.shares_interface()
        {
            return Err(BoardTableError::SharedInterface {
                board: self.name.clone(),
                interface: self.stream.interface,
            });
        }
        Ok(())
    }
}

/// What an FTDI interface is used for on a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InterfaceRole {
    /// Programs the FPGA.
    Program,
    /// Carries the UART stream.
    Stream,
    /// Both, one use at a time (bit-bang programming on a UART chip).
    ProgramAndStream,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    board: Vec<BoardSpec>,
}

/// Parses and checks a board table: every entry on its own, unique names, and
/// no two boards with one VID:PID that use an interface differently.
pub fn parse_table(text: &str) -> Result<Vec<BoardSpec>, BoardTableError> {
    let table: Table = toml::from_str(text).map_err(|source| toml_error(text, source))?;
    let mut names = HashSet::new();
    for board in &table.board {
        board.validate()?;
        if !names.insert(board.name.as_str()) {
            return Err(BoardTableError::DuplicateName(board.name.clone()));
        }
    }
    check_usb_roles(&table.board)?;
    Ok(table.board)
}

/// Turns serde's "unknown field" into [`BoardTableError::UnknownField`]; any
/// other parse error keeps the parser's error and its line.
fn toml_error(text: &str, source: toml::de::Error) -> BoardTableError {
    let line = source
        .span()
        .map(|span| line_number_after(&text.as_bytes()[..span.start.min(text.len())]));
    let field = source
        .message()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match (field, line) {
        (Some(field), Some(line)) => BoardTableError::UnknownField {
            field: field.to_string(),
            line,
        },
        _ => BoardTableError::Toml { line, source },
    }
}

/// 1-based number of the line that follows `before`.
fn line_number_after(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

fn check_usb_roles(boards: &[BoardSpec]) -> Result<(), BoardTableError> {
    let mut seen: BTreeMap<(u16, u16, Interface), (&str, InterfaceRole)> = BTreeMap::new();
    for board in boards {
        let mut roles = vec![(board.program.interface, InterfaceRole::Program)];
        if board.stream.interface == board.program.interface {
            roles[0].1 = InterfaceRole::ProgramAndStream;
        } else {
            roles.push((board.stream.interface, InterfaceRole::Stream));
        }
        for (interface, role) in roles {
            let key = (board.usb.vid, board.usb.pid, interface);
            match seen.get(&key) {
                Some(&(first, first_role)) if first_role != role => {
                    return Err(BoardTableError::UsbClash {
                        usb: board.usb,
                        interface,
                        first: first.to_string(),
                        first_role,
                        second: board.name.clone(),
                        second_role: role,
                    });
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (board.name.as_str(), role));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::make_fragment;
    use crate::board::tests::one_board;

    #[test]
    fn another_core_is_checked_like_a_table_entry() {
        let ulx3s = crate::board::find("ulx3s-85f").unwrap();
        let full = ulx3s.with_core(Some(64), None, Some(196)).unwrap();
        assert_eq!((full.rounds_per_clk, full.schedule_brams), (64, 196));
        assert_eq!((full.cores, &full.name), (ulx3s.cores, &ulx3s.name));
        assert!(make_fragment(&full).contains("ROUNDS_PER_CLK := 64\n"));
        assert!(matches!(
            ulx3s.with_core(Some(3), None, None),
            Err(BoardTableError::BadCore {
                rounds_per_clk: 3,
                ..
            })
        ));
        assert!(matches!(
            ulx3s.with_core(Some(8), None, Some(4)),
            Err(BoardTableError::UnusedScheduleBrams { .. })
        ));
    }

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let text = one_board("colour = \"red\"\n");
        let err = parse_table(&text).unwrap_err();
        let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
        match err {
            BoardTableError::UnknownField { field, line: l } => {
                assert_eq!(field, "colour");
                assert_eq!(l, line);
            }
            other => panic!("{other:?}"),
        }
        let nested =
            one_board("").replace("{ interface = \"B\" }", "{ interface = \"B\", baud = 1 }");
        assert!(
            matches!(parse_table(&nested), Err(BoardTableError::UnknownField { field, .. }) if field == "baud")
        );
    }
    #[test]
    fn missing_field_and_bad_values_are_toml_errors() {
        let missing = one_board("").replace("cores          = 1\n", "");
        assert!(matches!(
            parse_table(&missing),
            Err(BoardTableError::Toml { line: Some(_), .. })
        ));
        let bad_family = one_board("").replace("\"ice40\"", "\"gowin\"");
        assert!(matches!(
            parse_table(&bad_family),
            Err(BoardTableError::Toml { .. })
        ));
        let bad_interface = one_board("").replace("interface = \"B\"", "interface = \"E\"");
        assert!(matches!(
            parse_table(&bad_interface),
            Err(BoardTableError::Toml { .. })
        ));
        let big_pid = one_board("").replace("pid = 0x6010", "pid = 0x16010");
        assert!(matches!(
            parse_table(&big_pid),
            Err(BoardTableError::Toml { .. })
        ));
        assert!(matches!(
            parse_table("[[board]\n"),
            Err(BoardTableError::Toml { .. })
        ));
    }
    #[test]
    fn duplicate_name() {
        let text = format!("{}{}", one_board(""), one_board(""));
        let err = parse_table(&text).unwrap_err();
        assert!(matches!(&err, BoardTableError::DuplicateName(n) if n == "test-board"));
        assert_eq!(
            err.to_string(),
            "board `test-board` appears more than once in boards.toml"
        );
    }
    #[test]
    fn entry_checks() {
        type IsExpected = fn(&BoardTableError) -> bool;
        let cases: [(&str, &str, IsExpected); 9] = [
            ("\"test-board\"", "\"Test_Board\"", |e| {
                matches!(e, BoardTableError::BadName(_))
            }),
            ("\"up5k\"", "\"85k\"", |e| {
                matches!(e, BoardTableError::UnknownDevice { .. })
            }),
            ("icebreaker.pcf", "icebreaker.lpf", |e| {
                matches!(e, BoardTableError::ConstraintsExtension { .. })
            }),
            ("\"ice40-spi\"", "\"ecp5-jtag\"", |e| {
                matches!(e, BoardTableError::MethodFamily { .. })
            }),
            ("rounds_per_clk = 1", "rounds_per_clk = 3", |e| {
                matches!(
                    e,
                    BoardTableError::BadCore {
                        rounds_per_clk: 3,
                        ..
                    }
                )
            }),
            ("cores          = 1", "cores          = 17", |e| {
                matches!(e, BoardTableError::BadCore { cores: 17, .. })
            }),
            ("schedule_brams = 0", "schedule_brams = 196", |e| {
                matches!(
                    e,
                    BoardTableError::UnusedScheduleBrams {
                        schedule_brams: 196,
                        ..
                    }
                )
            }),
            (
                "baud           = 115_200",
                "baud           = 2_000_000",
                |e| matches!(e, BoardTableError::BadClock { .. }),
            ),
            ("{ interface = \"B\" }", "{ interface = \"A\" }", |e| {
                matches!(
                    e,
                    BoardTableError::SharedInterface {
                        interface: Interface::A,
                        ..
                    }
                )
            }),
        ];
        for (from, to, check) in cases {
            let text = one_board("").replacen(from, to, 1);
            let err = parse_table(&text).unwrap_err();
            assert!(check(&err), "{from} -> {to}: {err:?}");
        }
    }
    #[test]
    fn program_clock_is_optional_mpsse_only_and_in_range() {
        let with = |method: &str, freq: &str| {
            one_board("").replace(
                "{ interface = \"A\", method = \"ice40-spi\" }",
                &format!("{{ interface = \"A\", method = \"{method}\"{freq} }}"),
            )
        };
        let board = parse_table(&one_board("")).unwrap().remove(0);
        assert_eq!(board.program.freq_hz, None);
        let board = parse_table(&with("ice40-spi", ", freq_hz = 15_000_000"))
            .unwrap()
            .remove(0);
        assert_eq!(board.program.freq_hz, Some(15_000_000));
        for freq in [", freq_hz = 0", ", freq_hz = 30_000_001"] {
            let err = parse_table(&with("ice40-spi", freq)).unwrap_err();
            assert!(
                matches!(
                    err,
                    BoardTableError::BadProgramFreq {
                        fastest: 30_000_000,
                        ..
                    }
                ),
                "{freq}: {err:?}"
            );
        }
        let bitbang = with("ecp5-jtag-bitbang", ", freq_hz = 1_000_000")
            .replace("\"ice40\"", "\"ecp5\"")
            .replace("\"up5k\"", "\"85k\"")
            .replace("icebreaker.pcf", "ulx3s-85f.lpf")
            .replace("{ interface = \"B\" }", "{ interface = \"A\" }");
        assert_eq!(
            parse_table(&bitbang).unwrap_err().to_string(),
            "board `test-board`: program.freq_hz 1000000 must be 1..=30000000 Hz, \
             for an MPSSE method (this is ecp5-jtag-bitbang)"
        );
    }
    #[test]
    fn schedule_brams_only_where_the_core_has_block_ram_delays() {
        let ecp5 = |rounds: &str, brams: &str| {
            one_board("")
                .replace("\"ice40\"", "\"ecp5\"")
                .replace("\"up5k\"", "\"85k\"")
                .replace("icebreaker.pcf", "ulx3s-85f.lpf")
                .replace("\"ice40-spi\"", "\"ecp5-jtag\"")
                .replace("rounds_per_clk = 1", rounds)
                .replace("schedule_brams = 0", brams)
        };
        let board = parse_table(&ecp5("rounds_per_clk = 64", "schedule_brams = 196"))
            .unwrap()
            .remove(0);
        assert_eq!(board.schedule_brams, 196);
        assert!(make_fragment(&board).contains("-set SCHEDULE_BRAMS 196\n"));
        let err = parse_table(&ecp5("rounds_per_clk = 32", "schedule_brams = 1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "board `test-board`: schedule_brams 1 needs an ECP5 board at rounds_per_clk 64, \
             or is 4 at rounds_per_clk 1; set it to 0"
        );
        assert!(parse_table(&ecp5("rounds_per_clk = 32", "schedule_brams = 0")).is_ok());
        // One round per clock: the first-hash windows in block RAM, or none
        let ice40 = |brams: &str| parse_table(&one_board("").replace("schedule_brams = 0", brams));
        let board = ice40("schedule_brams = 4").unwrap().remove(0);
        assert!(make_fragment(&board).contains("-set SCHEDULE_BRAMS 4\n"));
        assert!(ice40("schedule_brams = 2").is_err());
        assert!(ice40("schedule_brams = 0").is_ok());
    }
    #[test]
    fn usb_roles_must_agree() {
        let second = one_board("")
            .replace("test-board", "other-board")
            .replace("\"A\", method", "\"B\", method")
            .replace("{ interface = \"B\" }", "{ interface = \"A\" }");
        let text = format!("{}{}", one_board(""), second);
        match parse_table(&text).unwrap_err() {
            BoardTableError::UsbClash {
                usb,
                interface,
                first,
                first_role,
                second,
                second_role,
            } => {
                assert_eq!(usb.to_string(), "0403:6010");
                assert_eq!(interface, Interface::B);
                assert_eq!(
                    (first.as_str(), first_role),
                    ("test-board", InterfaceRole::Stream)
                );
                assert_eq!(
                    (second.as_str(), second_role),
                    ("other-board", InterfaceRole::Program)
                );
            }
            other => panic!("{other:?}"),
        }
        // Another PID may use the interfaces its own way.
        let text = format!("{}{}", one_board(""), second.replace("0x6010", "0x6011"));
        assert_eq!(parse_table(&text).unwrap().len(), 2);
    }
}
