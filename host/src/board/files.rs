//! Checks a board's files in a source tree: its top level and its constraints
//! file, and the oscillator frequency the constraints file declares.

use std::path::Path;

use super::{BoardSpec, BoardTableError, Family};

/// Checks the files a board needs in a source tree at `root`: its constraints
/// file and its top level exist, and the constraints file declares the
/// oscillator at `clock_hz`.
pub fn check_files(board: &BoardSpec, root: &Path) -> Result<(), BoardTableError> {
    let top = root.join(board.top_file());
    if !top.is_file() {
        return Err(BoardTableError::MissingFile(top));
    }
    let path = root.join(&board.constraints);
    if !path.is_file() {
        return Err(BoardTableError::MissingFile(path));
    }
    let text = std::fs::read_to_string(&path).map_err(|source| BoardTableError::Read {
        path: path.clone(),
        source,
    })?;
    let file_hz = match board.family {
        Family::Ice40 => pcf_frequency(&text),
        Family::Ecp5 => lpf_frequency(&text),
    }
    .ok_or_else(|| BoardTableError::NoClockDeclared(path.clone()))?;
    if file_hz != u64::from(board.clock_hz) {
        return Err(BoardTableError::ClockMismatch {
            board: board.name.clone(),
            table_hz: board.clock_hz,
            file_hz,
            file: path,
        });
    }
    Ok(())
}

/// Converts "12", "12.0", "25.000000" MHz to Hz, exactly (at most six decimals).
fn mhz_to_hz(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 6 || int.is_empty() {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let frac_hz: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<6}").parse().ok()?
    };
    int.checked_mul(1_000_000)?.checked_add(frac_hz)
}

/// The first `set_frequency NET MHZ` of a PCF file, in Hz.
fn pcf_frequency(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        if words.next()? != "set_frequency" {
            return None;
        }
        let _net = words.next()?;
        mhz_to_hz(words.next()?)
    })
}

/// The first `FREQUENCY PORT "NET" F MHZ;` of an LPF file, in Hz.
fn lpf_frequency(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let line = line.trim().trim_end_matches(';');
        let mut words = line.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("FREQUENCY")
            || !words.next()?.eq_ignore_ascii_case("PORT")
        {
            return None;
        }
        let _net = words.next()?;
        let value = mhz_to_hz(words.next()?)?;
        let unit = words.next()?;
        match unit.to_ascii_uppercase().as_str() {
            "MHZ" => Some(value),
            "KHZ" => Some(value / 1000),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::tests::{one_board, repo_root};
    use crate::board::{boards, parse_table};

    #[test]
    fn every_board_has_its_files_and_clock() {
        for board in boards() {
            check_files(board, &repo_root()).unwrap();
        }
    }
    #[test]
    fn missing_files_and_clock_mismatch() {
        let dir = std::env::temp_dir().join(format!("amber-board-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("rtl/boards")).unwrap();
        std::fs::create_dir_all(dir.join("constraints")).unwrap();
        let board = parse_table(&one_board("")).unwrap().remove(0);

        let err = check_files(&board, &dir).unwrap_err();
        assert!(
            matches!(&err, BoardTableError::MissingFile(p) if p.ends_with("rtl/boards/top_test_board.v"))
        );

        std::fs::write(dir.join("rtl/boards/top_test_board.v"), "").unwrap();
        let err = check_files(&board, &dir).unwrap_err();
        assert!(
            matches!(&err, BoardTableError::MissingFile(p) if p.ends_with("constraints/icebreaker.pcf"))
        );

        let pcf = dir.join("constraints/icebreaker.pcf");
        std::fs::write(&pcf, "set_io clk_12mhz 35\n# set_frequency clk_12mhz 12\n").unwrap();
        assert!(matches!(
            check_files(&board, &dir),
            Err(BoardTableError::NoClockDeclared(_))
        ));

        std::fs::write(&pcf, "set_io clk_12mhz 35\nset_frequency clk_12mhz 12.5\n").unwrap();
        match check_files(&board, &dir).unwrap_err() {
            BoardTableError::ClockMismatch {
                table_hz, file_hz, ..
            } => {
                assert_eq!((table_hz, file_hz), (12_000_000, 12_500_000));
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&pcf, "set_frequency clk_12mhz 12\n").unwrap();
        check_files(&board, &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
    #[test]
    fn constraint_frequencies() {
        assert_eq!(pcf_frequency("set_frequency clk 12\n"), Some(12_000_000));
        assert_eq!(pcf_frequency("set_frequency clk"), None);
        assert_eq!(pcf_frequency("set_frequency clk twelve"), None);
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk_25mhz\" 25.000000 MHz ;"),
            Some(25_000_000)
        );
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk\" 12 MHZ;"),
            Some(12_000_000)
        );
        assert_eq!(
            lpf_frequency("FREQUENCY PORT \"clk\" 12000 kHz;"),
            Some(12_000_000)
        );
        assert_eq!(lpf_frequency("FREQUENCY NET \"clk\" 12 MHZ;"), None);
        assert_eq!(lpf_frequency("FREQUENCY PORT \"clk\" 12 GHz;"), None);
        assert_eq!(mhz_to_hz("12.0000001"), None);
        assert_eq!(mhz_to_hz(".5"), None);
    }
}
