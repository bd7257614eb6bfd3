//! Safe driver for the `miner_top` models: a whole board on its pins (reset,
//! UART, LEDs). Drive the UART with [`UartPins`](crate::uart_pins::UartPins).

use crate::ffi::{MinerTopIn, MinerTopOut, Model, MINER_TOP_FNS};
use crate::uart_pins::UartTarget;
use crate::{ModelInfo, SimError, MINER_TOP_MODELS};

/// The LEDs, as the board drives them (active high).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leds {
    /// Blinks at about 1 Hz while the clock runs.
    pub alive: bool,
    /// A work item is running.
    pub hashing: bool,
    /// A nonce was found recently.
    pub found: bool,
}

/// A cycle-accurate `miner_top` model.
pub struct MinerTop {
    model: Model<MinerTopIn, MinerTopOut>,
    info: &'static ModelInfo,
    inputs: MinerTopIn,
    /// Inputs last applied to the model (a settle is skipped when unchanged).
    applied: Option<MinerTopIn>,
    outputs: MinerTopOut,
    cycles: u64,
}

impl std::fmt::Debug for MinerTop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerTop")
            .field("model", &self.info.name)
            .field("cycles", &self.cycles)
            .finish()
    }
}

impl MinerTop {
    /// The sim-friendly board behind `amber --sim` (see sim/build.rs).
    pub const SIM_MODEL: &'static str = "miner_top_sim";

    /// Every configuration built into this crate.
    pub fn models() -> &'static [ModelInfo] {
        MINER_TOP_MODELS
    }

    /// The [`SIM_MODEL`](Self::SIM_MODEL) board, reset and idle.
    pub fn sim() -> Result<Self, SimError> {
        Self::new(Self::SIM_MODEL)
    }

    /// Creates the model named `name` (see [`models`](Self::models)), runs a
    /// reset and leaves it idle with the UART line high.
    pub fn new(name: &str) -> Result<Self, SimError> {
        let unknown = || SimError::UnknownModel {
            name: name.to_string(),
        };
        let info = MINER_TOP_MODELS
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(unknown)?;
        let fns = MINER_TOP_FNS.get(info.index).ok_or_else(unknown)?;
        let model = Model::new(fns).ok_or(SimError::Alloc { name: info.name })?;
        let mut top = MinerTop {
            model,
            info,
            inputs: MinerTopIn { rst: 1, uart_rx: 1 },
            applied: None,
            outputs: MinerTopOut::default(),
            cycles: 0,
        };
        top.reset();
        Ok(top)
    }

    /// The model's name and parameters.
    pub fn info(&self) -> &'static ModelInfo {
        self.info
    }

    fn param(&self, key: &str) -> u64 {
        // Every miner_top row in the model table sets all five parameters.
        self.info.param(key).map_or(0, u64::from)
    }

    /// Core clock, Hz (parameter `CLK_HZ`).
    pub fn clk_hz(&self) -> u64 {
        self.param("CLK_HZ")
    }

    /// UART rate, bits per second (parameter `BAUD`).
    pub fn baud(&self) -> u64 {
        self.param("BAUD")
    }

    /// SHA-256 rounds per clock per core.
    pub fn rounds_per_clk(&self) -> u64 {
        self.param("ROUNDS_PER_CLK")
    }

    /// Parallel cores.
    pub fn cores(&self) -> u64 {
        self.param("CORES")
    }

    /// The build id reported in IDENTITY.
    pub fn build_id(&self) -> u64 {
        self.param("BUILD_ID")
    }

    /// Rising edges clocked since creation.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Synchronous reset: `rst` high for two clocks, the UART line idle.
    pub fn reset(&mut self) {
        self.inputs = MinerTopIn { rst: 1, uart_rx: 1 };
        self.step(2);
        self.inputs.rst = 0;
        self.settle();
    }

    /// Drives the UART receive pin (idle high).
    pub fn set_uart_rx(&mut self, level: bool) {
        self.inputs.uart_rx = u8::from(level);
    }

    /// The UART transmit pin.
    pub fn uart_tx(&self) -> bool {
        self.outputs.uart_tx != 0
    }

    /// The LEDs.
    pub fn leds(&self) -> Leds {
        Leds {
            alive: self.outputs.led_alive != 0,
            hashing: self.outputs.led_hashing != 0,
            found: self.outputs.led_found != 0,
        }
    }

    /// The hashing LED (a work item runs).
    pub fn led_hashing(&self) -> bool {
        self.outputs.led_hashing != 0
    }

    /// The found LED.
    pub fn led_found(&self) -> bool {
        self.outputs.led_found != 0
    }

    fn settle(&mut self) {
        if self.applied != Some(self.inputs) {
            self.model.set(&self.inputs);
            self.applied = Some(self.inputs);
        }
        self.outputs = self.model.get();
    }

    /// `n` rising edges with the inputs held.
    pub fn step(&mut self, n: u64) {
        if self.applied != Some(self.inputs) {
            self.model.set(&self.inputs);
            self.applied = Some(self.inputs);
        }
        self.model.step(n);
        self.cycles += n;
        self.outputs = self.model.get();
    }
}

impl UartTarget for MinerTop {
    fn set_uart_rx(&mut self, level: bool) {
        MinerTop::set_uart_rx(self, level);
    }

    fn uart_tx(&self) -> bool {
        MinerTop::uart_tx(self)
    }

    fn clock(&mut self) {
        self.step(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_model_comes_up_idle() {
        let mut top = MinerTop::sim().unwrap();
        assert!(top.uart_tx(), "UART line idles high");
        assert_eq!(top.leds(), Leds::default());
        assert!(top.clk_hz() >= 16 * top.baud());
        top.step(100);
        assert!(top.uart_tx() && !top.led_hashing());
        assert_eq!(top.cycles(), 102);
    }

    #[test]
    fn unknown_model_is_an_error() {
        assert_eq!(
            MinerTop::new("nope").unwrap_err(),
            SimError::UnknownModel {
                name: "nope".into()
            }
        );
    }
}
