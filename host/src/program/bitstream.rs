//! Bitstream format checks, done before any hardware is touched.

use super::parts::{ecp5_part, ice40_part, Ecp5Part, Family, Ice40Part, Idcode, ICE40_PARTS};
use super::ProgramError;

/// The iCE40 configuration sync word.
const ICE40_SYNC: [u8; 4] = [0x7E, 0xAA, 0x99, 0x7E];
/// The ECP5 bitstream preamble.
const ECP5_PREAMBLE: [u8; 4] = [0xFF, 0xFF, 0xBD, 0xB3];
/// ECP5 VERIFY_ID command byte: followed by 3 zero bytes and the IDCODE.
const ECP5_VERIFY_ID: u8 = 0xE2;

/// Where the optional comment header (`FF 00 text... 00 FF`) ends.
fn after_comment(data: &[u8]) -> Result<usize, ProgramError> {
    if data.len() < 2 || data[0] != 0xFF || data[1] != 0x00 {
        return Ok(0);
    }
    // The comment is NUL-separated text closed by 0xFF (ecppack: `00 FF`, icepack: `00 00 FF`).
    data.iter()
        .skip(2)
        .position(|&b| b == 0xFF)
        .map(|p| p + 3)
        .ok_or(ProgramError::NotABitstream {
            reason: "comment header is not closed",
        })
}

/// Tells which FPGA family a file is for from its content.
pub fn detect_family(data: &[u8]) -> Result<Family, ProgramError> {
    let start = after_comment(data)?;
    let head = &data[start.min(data.len())..];
    if head.starts_with(&ICE40_SYNC) {
        Ok(Family::Ice40)
    } else if head.windows(4).take(16).any(|w| w == ECP5_PREAMBLE) {
        Ok(Family::Ecp5)
    } else {
        Err(ProgramError::NotABitstream {
            reason: "neither the iCE40 sync word 7EAA997E nor the ECP5 preamble FFFFBDB3 was found",
        })
    }
}

/// A checked iCE40 image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ice40Image<'a> {
    /// The whole file, as it is sent.
    pub data: &'a [u8],
    /// The device it fits.
    pub part: &'static Ice40Part,
}

impl<'a> Ice40Image<'a> {
    /// Checks the sync word and that the size is that of `device`'s images
    /// (or, with no device given, of some known iCE40).
    pub fn check(data: &'a [u8], device: Option<&str>) -> Result<Self, ProgramError> {
        let start = after_comment(data)?;
        if !data[start.min(data.len())..].starts_with(&ICE40_SYNC) {
            return Err(ProgramError::NotABitstream {
                reason: "no iCE40 sync word 7EAA997E after the comment header",
            });
        }
        let built_for = ICE40_PARTS.iter().find(|p| p.image_bytes == data.len());
        match device {
            Some(name) => {
                let part = ice40_part(name).ok_or_else(|| ProgramError::UnknownDevice {
                    name: name.to_owned(),
                })?;
                if data.len() != part.image_bytes {
                    return Err(ProgramError::DeviceMismatch {
                        file: built_for.map_or_else(
                            || format!("an unknown iCE40 ({} bytes)", data.len()),
                            |p| format!("{} ({} bytes)", p.name, p.image_bytes),
                        ),
                        board: format!("{} ({} bytes)", part.name, part.image_bytes),
                    });
                }
                Ok(Ice40Image { data, part })
            }
            None => built_for
                .map(|part| Ice40Image { data, part })
                .ok_or(ProgramError::WrongSize { found: data.len() }),
        }
    }
}

/// A checked ECP5 bitstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ecp5Bitstream<'a> {
    /// The whole file, as it is sent.
    pub data: &'a [u8],
    /// The IDCODE in its VERIFY_ID command.
    pub idcode: Idcode,
    /// The part that IDCODE names.
    pub part: &'static Ecp5Part,
}

impl<'a> Ecp5Bitstream<'a> {
    /// Checks the preamble, finds VERIFY_ID and its IDCODE, and checks the
    /// size against that part (and against `device` when the board names one).
    pub fn check(data: &'a [u8], device: Option<&str>) -> Result<Self, ProgramError> {
        let start = after_comment(data)?;
        let preamble = data[start.min(data.len())..]
            .windows(4)
            .take(16)
            .position(|w| w == ECP5_PREAMBLE)
            .map(|p| start + p)
            .ok_or(ProgramError::NotABitstream {
                reason: "no ECP5 preamble FFFFBDB3 after the comment header",
            })?;
        let mut i = preamble + 4;
        let idcode = loop {
            match data.get(i) {
                Some(0xFF) => i += 1,
                Some(0x3B) => i += 4,
                Some(&ECP5_VERIFY_ID) => {
                    let id = data.get(i + 4..i + 8).ok_or(ProgramError::NotABitstream {
                        reason: "bitstream ends inside VERIFY_ID",
                    })?;
                    break Idcode(u32::from_be_bytes([id[0], id[1], id[2], id[3]]));
                }
                _ => {
                    return Err(ProgramError::NotABitstream {
                        reason: "no VERIFY_ID command before the configuration data",
                    })
                }
            }
        };
        let part = idcode
            .ecp5_part()
            .ok_or(ProgramError::UnknownIdcode { idcode })?;
        if let Some(name) = device {
            let board = ecp5_part(name).ok_or_else(|| ProgramError::UnknownDevice {
                name: name.to_owned(),
            })?;
            if board.idcode != idcode {
                return Err(ProgramError::IdcodeMismatch {
                    expected: idcode,
                    found: board.idcode,
                });
            }
        }
        if data.len() - preamble > part.max_bitstream() {
            return Err(ProgramError::TooLarge {
                device: part.name,
                size: data.len() - preamble,
                max: part.max_bitstream(),
            });
        }
        Ok(Ecp5Bitstream { data, idcode, part })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{ecp5_test_bitstream, ice40_test_image, Ecp5Geometry};

    fn geometry(part: &Ecp5Part) -> Ecp5Geometry {
        Ecp5Geometry {
            frames: part.frames,
            frame_bytes: part.frame_bytes,
        }
    }

    #[test]
    fn ice40_good_and_bad() {
        let image = ice40_test_image(104_090, 7);
        assert_eq!(detect_family(&image).unwrap(), Family::Ice40);
        assert_eq!(
            Ice40Image::check(&image, Some("up5k")).unwrap().part.name,
            "up5k"
        );
        assert_eq!(Ice40Image::check(&image, None).unwrap().part.name, "up5k");
        let err = Ice40Image::check(&image, Some("hx8k")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bitstream is for up5k (104090 bytes) but the board has hx8k (135100 bytes)"
        );
        assert!(matches!(
            Ice40Image::check(&image[..1000], None),
            Err(ProgramError::WrongSize { found: 1000 })
        ));
        assert!(matches!(
            Ice40Image::check(&image, Some("up9k")),
            Err(ProgramError::UnknownDevice { .. })
        ));
        let mut broken = image.clone();
        broken[4] = 0;
        assert!(matches!(
            Ice40Image::check(&broken, None),
            Err(ProgramError::NotABitstream { .. })
        ));
        assert!(matches!(
            Ice40Image::check(&[0xFF, 0x00, b'x'], None),
            Err(ProgramError::NotABitstream { .. })
        ));
    }

    #[test]
    fn ecp5_good_and_bad() {
        let part = ecp5_part("25k").unwrap();
        let bit = ecp5_test_bitstream(part.idcode.0, geometry(part), 1);
        assert_eq!(detect_family(&bit).unwrap(), Family::Ecp5);
        let checked = Ecp5Bitstream::check(&bit, None).unwrap();
        assert_eq!(checked.idcode, Idcode(0x4111_1043));
        assert_eq!(checked.part.name, "LFE5U-25F");
        assert!(Ecp5Bitstream::check(&bit, Some("25k")).is_ok());
        let err = Ecp5Bitstream::check(&bit, Some("85k")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bitstream is for LFE5U-25F (0x41111043) but the chip is LFE5U-85F (0x41113043)"
        );
        // Too big for the part it names.
        let mut big = bit.clone();
        big.extend(vec![0xFF; 4096]);
        assert!(matches!(
            Ecp5Bitstream::check(&big, None),
            Err(ProgramError::TooLarge { .. })
        ));
        // Unknown IDCODE.
        let odd = ecp5_test_bitstream(0x1234_5043, geometry(part), 1);
        assert!(matches!(
            Ecp5Bitstream::check(&odd, None),
            Err(ProgramError::UnknownIdcode { .. })
        ));
        // No VERIFY_ID.
        let mut no_id = bit.clone();
        let at = no_id.iter().position(|&b| b == 0xE2).unwrap();
        no_id[at] = 0x22;
        assert!(matches!(
            Ecp5Bitstream::check(&no_id, None),
            Err(ProgramError::NotABitstream { .. })
        ));
        assert!(detect_family(b"hello world").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any file, whatever header it starts with, is checked or refused, never a panic.
            #[test]
            fn any_file_is_checked_or_refused(
                head in prop_oneof![
                    Just(vec![]),
                    Just(vec![0xFF, 0x00]),
                    Just(vec![0x7E, 0xAA, 0x99, 0x7E]),
                    Just(vec![0xFF, 0xFF, 0xBD, 0xB3]),
                    Just(vec![0xFF, 0xFF, 0xBD, 0xB3, 0xE2]),
                    Just(vec![0xFF, 0x00, b'x', 0x00, 0xFF, 0xFF, 0xFF, 0xBD, 0xB3, 0x3B]),
                ],
                body in proptest::collection::vec(
                    prop_oneof![Just(0xFFu8), Just(0xE2), Just(0x3B), any::<u8>()], 0..200),
                device in prop_oneof![Just(None), Just(Some("up5k")), Just(Some("85k")),
                    Just(Some("nonsense"))],
            ) {
                let data: Vec<u8> = head.into_iter().chain(body).collect();
                let _ = detect_family(&data);
                let _ = Ice40Image::check(&data, device);
                let _ = Ecp5Bitstream::check(&data, device);
            }
        }
    }
}
