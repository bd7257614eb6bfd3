//! The one table of FPGA devices Amber builds for and programs: each family,
//! its devices by their nextpnr names, ECP5 JTAG IDCODEs and configuration
//! sizes, iCE40 image sizes (iCE40 UP5K/HX parts have no JTAG IDCODE, so they
//! are told apart by image size and the board table).

use std::fmt;

use serde::Deserialize;

/// An FPGA family: selects the flow rules (`synth_ice40`/`synth_ecp5`) and the programmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Lattice iCE40 (Yosys `synth_ice40`, nextpnr-ice40, icepack; `.bin` files).
    Ice40,
    /// Lattice ECP5 (Yosys `synth_ecp5`, nextpnr-ecp5, ecppack; `.bit` files).
    Ecp5,
}

impl Family {
    /// The name used in `boards.toml` and in the Makefile (`ice40`, `ecp5`).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        }
    }

    /// The nextpnr names of this family's devices in the part tables
    /// ([`ICE40_PARTS`], [`ECP5_PARTS`]): the devices a board may name.
    pub fn devices(self) -> Vec<&'static str> {
        match self {
            Family::Ice40 => ICE40_PARTS.iter().map(|p| p.name).collect(),
            Family::Ecp5 => ECP5_PARTS.iter().map(|p| p.device).collect(),
        }
    }

    /// Extension of the constraints file (`pcf` for iCE40, `lpf` for ECP5).
    pub fn constraints_extension(self) -> &'static str {
        match self {
            Family::Ice40 => "pcf",
            Family::Ecp5 => "lpf",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A JTAG IDCODE (IEEE 1149.1 §12.1.1: version, part number, manufacturer, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Idcode(pub u32);

impl Idcode {
    /// The ECP5 part with this IDCODE, if known.
    pub fn ecp5_part(self) -> Option<&'static Ecp5Part> {
        ECP5_PARTS.iter().find(|p| p.idcode == self)
    }
}

impl fmt::Display for Idcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ecp5_part() {
            Some(part) => write!(f, "{} (0x{:08x})", part.name, self.0),
            None => write!(f, "0x{:08x}", self.0),
        }
    }
}

/// One ECP5 device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecp5Part {
    /// Lattice part name without speed/package (`LFE5U-85F`).
    pub name: &'static str,
    /// The nextpnr device name, as the board table's `device` gives it (`85k`, `um5g-85k`).
    pub device: &'static str,
    /// The JTAG IDCODE the chip reports and its bitstreams carry in VERIFY_ID.
    pub idcode: Idcode,
    /// Configuration frames of the die.
    pub frames: usize,
    /// Data bytes per configuration frame.
    pub frame_bytes: usize,
}

impl Ecp5Part {
    /// Bytes of an uncompressed bitstream from its preamble on, as ecppack
    /// writes it: 36 bytes of preamble and header commands, frames of
    /// data + 2 CRC + 1 pad, a 30-byte trailer. Compressed bitstreams are smaller.
    pub fn max_bitstream(&self) -> usize {
        36 + self.frames * (self.frame_bytes + 3) + 30
    }
}

/// ECP5 dies: 12F is a 25F die; UM and UM5G parts share their size's die.
/// IDCODEs from Lattice FPGA-TN-02039; frame counts and sizes as ecppack emits them.
pub static ECP5_PARTS: [Ecp5Part; 10] = [
    ecp5("LFE5U-12F", "12k", 0x2111_1043, 7562, 74),
    ecp5("LFE5U-25F", "25k", 0x4111_1043, 7562, 74),
    ecp5("LFE5U-45F", "45k", 0x4111_2043, 9470, 106),
    ecp5("LFE5U-85F", "85k", 0x4111_3043, 13294, 142),
    ecp5("LFE5UM-25F", "um-25k", 0x0111_1043, 7562, 74),
    ecp5("LFE5UM-45F", "um-45k", 0x0111_2043, 9470, 106),
    ecp5("LFE5UM-85F", "um-85k", 0x0111_3043, 13294, 142),
    ecp5("LFE5UM5G-25F", "um5g-25k", 0x8111_1043, 7562, 74),
    ecp5("LFE5UM5G-45F", "um5g-45k", 0x8111_2043, 9470, 106),
    ecp5("LFE5UM5G-85F", "um5g-85k", 0x8111_3043, 13294, 142),
];

const fn ecp5(
    name: &'static str,
    device: &'static str,
    idcode: u32,
    frames: usize,
    frame_bytes: usize,
) -> Ecp5Part {
    Ecp5Part {
        name,
        device,
        idcode: Idcode(idcode),
        frames,
        frame_bytes,
    }
}

/// One iCE40 device as the board table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ice40Part {
    /// The board table's `device` (`up5k`, `hx8k`, ...).
    pub name: &'static str,
    /// Bytes of a configuration image as icepack writes it.
    pub image_bytes: usize,
}

/// iCE40 devices and their image sizes (icepack output; HX4K and LP8K share the 8K die).
pub static ICE40_PARTS: [Ice40Part; 7] = [
    Ice40Part {
        name: "up5k",
        image_bytes: 104_090,
    },
    Ice40Part {
        name: "hx8k",
        image_bytes: 135_100,
    },
    Ice40Part {
        name: "lp8k",
        image_bytes: 135_100,
    },
    Ice40Part {
        name: "hx4k",
        image_bytes: 135_100,
    },
    Ice40Part {
        name: "hx1k",
        image_bytes: 32_220,
    },
    Ice40Part {
        name: "lp1k",
        image_bytes: 32_220,
    },
    Ice40Part {
        name: "lp384",
        image_bytes: 7_294,
    },
];

/// The iCE40 part called `name` (case-insensitive).
pub fn ice40_part(name: &str) -> Option<&'static Ice40Part> {
    ICE40_PARTS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Bytes a bitstream's comment header may take (ecppack and icepack write a few
/// dozen: tool, version, part).
pub const MAX_COMMENT_BYTES: usize = 64 * 1024;

/// The largest bitstream file any supported device takes: its configuration
/// image plus a comment header. A file is never read past this.
pub fn largest_bitstream_file() -> usize {
    let ice40 = ICE40_PARTS.iter().map(|p| p.image_bytes);
    let ecp5 = ECP5_PARTS.iter().map(Ecp5Part::max_bitstream);
    ice40.chain(ecp5).max().unwrap_or(0) + MAX_COMMENT_BYTES
}

/// The ECP5 part called `name`: its Lattice name (`LFE5U-85F`) or its nextpnr
/// device name (`85k`, `um5g-85k`), in any case.
pub fn ecp5_part(name: &str) -> Option<&'static Ecp5Part> {
    ECP5_PARTS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name) || p.device.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idcodes_are_unique_and_named() {
        for part in &ECP5_PARTS {
            assert_eq!(
                ECP5_PARTS
                    .iter()
                    .filter(|p| p.idcode == part.idcode)
                    .count(),
                1
            );
            assert_eq!(part.idcode.ecp5_part(), Some(part));
            assert_eq!(part.idcode.0 & 0xFFF, 0x043, "Lattice manufacturer code");
        }
        assert_eq!(Idcode(0x4111_3043).to_string(), "LFE5U-85F (0x41113043)");
        assert_eq!(Idcode(0x8111_3043).to_string(), "LFE5UM5G-85F (0x81113043)");
        assert_eq!(Idcode(0x1234_5678).to_string(), "0x12345678");
    }

    #[test]
    fn part_lookup_by_either_name() {
        assert_eq!(ecp5_part("85k").map(|p| p.name), Some("LFE5U-85F"));
        assert_eq!(ecp5_part("um5g-85k").map(|p| p.name), Some("LFE5UM5G-85F"));
        assert_eq!(ecp5_part("lfe5um-45f").map(|p| p.name), Some("LFE5UM-45F"));
        assert_eq!(ecp5_part("99k"), None);
        assert_eq!(ice40_part("UP5K").map(|p| p.image_bytes), Some(104_090));
        assert_eq!(ice40_part("ecp5"), None);
        // ecppack's 25F output is 582343 bytes including its 3-byte empty comment.
        assert_eq!(
            ecp5_part("25k").map(|p| p.max_bitstream() + 3),
            Some(582_343)
        );
        assert_eq!(
            ecp5_part("85k").map(|p| p.max_bitstream() + 3),
            Some(1_927_699)
        );
    }

    #[test]
    fn family_devices_are_the_part_tables() {
        assert_eq!(Family::Ice40.devices().len(), ICE40_PARTS.len());
        assert_eq!(Family::Ecp5.devices().len(), ECP5_PARTS.len());
        for device in Family::Ecp5.devices() {
            assert_eq!(ecp5_part(device).map(|p| p.device), Some(device));
        }
        assert!(Family::Ecp5.devices().contains(&"um5g-85k"));
        assert!(!Family::Ice40.devices().contains(&"85k"));
    }

    #[test]
    fn the_largest_file_is_the_85f_image_and_its_comment() {
        assert_eq!(largest_bitstream_file(), 1_927_696 + MAX_COMMENT_BYTES);
    }
}
