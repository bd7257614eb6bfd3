//! JTAG over MPSSE commands: the IEEE 1149.1 TAP state machine, shifts
//! through Shift-IR/Shift-DR, and the decoding of their TDO read-back.

use super::commands::{Commands, Opcode};

/// The sixteen IEEE 1149.1 TAP controller states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapState {
    /// Test-Logic-Reset.
    Reset,
    /// Run-Test/Idle.
    Idle,
    /// Select-DR-Scan.
    SelectDr,
    /// Capture-DR.
    CaptureDr,
    /// Shift-DR.
    ShiftDr,
    /// Exit1-DR.
    Exit1Dr,
    /// Pause-DR.
    PauseDr,
    /// Exit2-DR.
    Exit2Dr,
    /// Update-DR.
    UpdateDr,
    /// Select-IR-Scan.
    SelectIr,
    /// Capture-IR.
    CaptureIr,
    /// Shift-IR.
    ShiftIr,
    /// Exit1-IR.
    Exit1Ir,
    /// Pause-IR.
    PauseIr,
    /// Exit2-IR.
    Exit2Ir,
    /// Update-IR.
    UpdateIr,
}

impl TapState {
    /// The state after one TCK with TMS at `tms`.
    pub fn next(self, tms: bool) -> TapState {
        use TapState::*;
        match (self, tms) {
            (Reset, false) => Idle,
            (Reset, true) => Reset,
            (Idle, false) => Idle,
            (Idle, true) => SelectDr,
            (SelectDr, false) => CaptureDr,
            (SelectDr, true) => SelectIr,
            (CaptureDr, false) | (ShiftDr, false) | (Exit2Dr, false) => ShiftDr,
            (CaptureDr, true) | (ShiftDr, true) => Exit1Dr,
            (Exit1Dr, false) | (PauseDr, false) => PauseDr,
            (Exit1Dr, true) | (Exit2Dr, true) => UpdateDr,
            (PauseDr, true) => Exit2Dr,
            (UpdateDr, false) | (UpdateIr, false) => Idle,
            (UpdateDr, true) | (UpdateIr, true) => SelectDr,
            (SelectIr, false) => CaptureIr,
            (SelectIr, true) => Reset,
            (CaptureIr, false) | (ShiftIr, false) | (Exit2Ir, false) => ShiftIr,
            (CaptureIr, true) | (ShiftIr, true) => Exit1Ir,
            (Exit1Ir, false) | (PauseIr, false) => PauseIr,
            (Exit1Ir, true) | (Exit2Ir, true) => UpdateIr,
            (PauseIr, true) => Exit2Ir,
        }
    }

    /// The shortest TMS sequence from `self` to `to`: (bits LSB first, count).
    /// Going to [`TapState::Reset`] always uses five ones, which works from anywhere.
    pub fn path_to(self, to: TapState) -> (u16, u8) {
        if to == TapState::Reset {
            return (0b1_1111, 5);
        }
        // Breadth-first search; no shortest path in the 16-state graph is longer than 9.
        let mut frontier = vec![(self, 0u16, 0u8)];
        for _ in 0..10 {
            let mut next = Vec::new();
            for (state, bits, len) in frontier {
                if state == to {
                    return (bits, len);
                }
                for tms in [false, true] {
                    next.push((state.next(tms), bits | (u16::from(tms) << len), len + 1));
                }
            }
            frontier = next;
        }
        (0b1_1111, 5)
    }
}

/// Appends to `cmds` the shift of `bits` bits of `tdi` (LSB first) through
/// the current Shift-IR/Shift-DR state; the last bit is clocked with TMS = 1
/// when `exit` is set (leaving for Exit1). Returns how the read-back bytes
/// decode (pass to [`decode_tdo`]) when `read` is set.
pub fn jtag_shift(
    cmds: &mut Commands,
    tdi: &[u8],
    bits: usize,
    read: bool,
    exit: bool,
) -> ShiftLayout {
    let bit = |i: usize| tdi.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1);
    // With `exit`, the final bit goes out with the TMS command.
    let body = if exit { bits.saturating_sub(1) } else { bits };
    let whole = body / 8;
    let rest = (body % 8) as u8;
    let start = cmds.reads();
    if whole > 0 {
        let bytes: Vec<u8> = (0..whole)
            .map(|i| (0..8).fold(0u8, |b, j| b | (u8::from(bit(i * 8 + j)) << j)))
            .collect();
        let op = if read {
            Opcode::BytesInOutLsb
        } else {
            Opcode::BytesOutNegLsb
        };
        cmds.shift_bytes(op, &bytes, read);
    }
    if rest > 0 {
        let value = (0..rest as usize).fold(0u8, |b, j| b | (u8::from(bit(whole * 8 + j)) << j));
        let op = if read {
            Opcode::BitsInOutLsb
        } else {
            Opcode::BitsOutNegLsb
        };
        cmds.shift_bits(op, value, rest, read);
    }
    let last = exit && bits > 0;
    if last {
        cmds.tms(0b1, 1, bit(bits - 1), read);
    }
    ShiftLayout {
        start,
        whole,
        rest,
        last,
        bits,
    }
}

/// Where the TDO bits of one [`jtag_shift`] sit in the read-back bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftLayout {
    /// Offset of the first read-back byte of this shift.
    pub start: usize,
    whole: usize,
    rest: u8,
    last: bool,
    bits: usize,
}

/// Rebuilds the TDO bits (LSB first) of a shift from the raw read-back.
/// Bit-mode reads arrive in the top bits of their byte (LSB-first shifting
/// enters at bit 7), so `n` bits sit at `byte >> (8 - n)`.
pub fn decode_tdo(raw: &[u8], layout: ShiftLayout) -> Vec<u8> {
    let mut out = vec![0u8; layout.bits.div_ceil(8)];
    let mut put = |i: usize, v: bool| {
        if v {
            out[i / 8] |= 1 << (i % 8);
        }
    };
    let mut at = layout.start;
    for i in 0..layout.whole {
        let byte = raw.get(at + i).copied().unwrap_or(0);
        for j in 0..8 {
            put(i * 8 + j, byte >> j & 1 == 1);
        }
    }
    at += layout.whole;
    let mut index = layout.whole * 8;
    if layout.rest > 0 {
        let byte = raw.get(at).copied().unwrap_or(0) >> (8 - layout.rest);
        for j in 0..layout.rest as usize {
            put(index + j, byte >> j & 1 == 1);
        }
        index += layout.rest as usize;
        at += 1;
    }
    if layout.last {
        let byte = raw.get(at).copied().unwrap_or(0);
        put(index, byte >> 7 & 1 == 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_paths_reach_their_targets() {
        use TapState::*;
        let all = [
            Reset, Idle, SelectDr, CaptureDr, ShiftDr, Exit1Dr, PauseDr, Exit2Dr, UpdateDr,
            SelectIr, CaptureIr, ShiftIr, Exit1Ir, PauseIr, Exit2Ir, UpdateIr,
        ];
        for from in all {
            for to in all {
                let (bits, len) = from.path_to(to);
                let mut s = from;
                for i in 0..len {
                    s = s.next(bits >> i & 1 == 1);
                }
                assert_eq!(s, to, "{from:?} -> {to:?}");
                assert!(len <= 9);
            }
        }
        assert_eq!(Idle.path_to(ShiftIr), (0b0011, 4));
        assert_eq!(Idle.path_to(ShiftDr), (0b001, 3));
        assert_eq!(Exit1Dr.path_to(Idle), (0b01, 2));
    }

    #[test]
    fn jtag_shift_of_odd_length_splits_bytes_bits_and_tms() {
        let mut c = Commands::new();
        // 13 bits: one byte, four bits, last bit with TMS.
        let layout = jtag_shift(&mut c, &[0xA5, 0x1B], 13, true, true);
        assert_eq!(
            c.bytes(),
            &[0x39, 0x00, 0x00, 0xA5, 0x3B, 0x03, 0x0B, 0x6B, 0x00, 0x81]
        );
        assert_eq!(c.reads(), 3);
        // TDO: 0x3C, then bits 0b1010 in the top nibble, then a 1 in bit 7.
        let tdo = decode_tdo(&[0x3C, 0b1010_0000, 0x80], layout);
        assert_eq!(tdo, vec![0x3C, 0b1_1010]);
    }
}
