//! Safe driver for the `miner_top` models: a whole board on its pins (reset,
//! UART, LEDs). Drive the UART with [`UartPins`](crate::uart_pins::UartPins).

use std::path::Path;

use crate::ffi::{Library, MinerTopIn, MinerTopOut, Model, MINER_TOP_FNS};
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

/// What a `miner_top` was built with (its Verilog parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopParams {
    /// Core clock, Hz (`CLK_HZ`).
    pub clk_hz: u64,
    /// UART rate, bits per second (`BAUD`).
    pub baud: u64,
    /// SHA-256 rounds per clock per core (`ROUNDS_PER_CLK`).
    pub rounds_per_clk: u64,
    /// Parallel cores (`CORES`).
    pub cores: u64,
    /// The build id reported in IDENTITY (`BUILD_ID`).
    pub build_id: u64,
}

impl TopParams {
    fn of(info: &ModelInfo) -> Self {
        // Every miner_top row in the model table sets all five parameters.
        let param = |key| info.param(key).map_or(0, u64::from);
        TopParams {
            clk_hz: param("CLK_HZ"),
            baud: param("BAUD"),
            rounds_per_clk: param("ROUNDS_PER_CLK"),
            cores: param("CORES"),
            build_id: param("BUILD_ID"),
        }
    }
}

/// The symbol prefix of a netlist model's shim (`make netlist-sim`).
pub const NETLIST_PREFIX: &str = "amber_netlist";

/// A cycle-accurate `miner_top` model: one built into this crate, or a
/// board's netlist loaded from the shared library `make netlist-sim` builds.
pub struct MinerTop {
    model: Model<MinerTopIn, MinerTopOut>,
    name: String,
    params: TopParams,
    inputs: MinerTopIn,
    /// Inputs last applied to the model (a settle is skipped when unchanged).
    applied: Option<MinerTopIn>,
    outputs: MinerTopOut,
    cycles: u64,
}

impl std::fmt::Debug for MinerTop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerTop")
            .field("model", &self.name)
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
        let model = Model::new(fns).ok_or_else(|| SimError::Alloc {
            name: info.name.to_string(),
        })?;
        Ok(Self::started(
            model,
            info.name.to_string(),
            TopParams::of(info),
        ))
    }

    /// Loads a netlist model from the shared library at `path` (built by
    /// `make netlist-sim`), which was synthesized with `params`; runs a reset
    /// and leaves it idle with the UART line high.
    pub fn load(path: &Path, params: TopParams) -> Result<Self, SimError> {
        let load_error = |reason: String| SimError::Load {
            path: path.display().to_string(),
            reason,
        };
        let library = Library::open(path).map_err(load_error)?;
        let fns = library.miner_top_fns(NETLIST_PREFIX).map_err(load_error)?;
        let name = path.display().to_string();
        let model = Model::with_fns(fns, Some(library))
            .ok_or_else(|| SimError::Alloc { name: name.clone() })?;
        Ok(Self::started(model, name, params))
    }

    fn started(model: Model<MinerTopIn, MinerTopOut>, name: String, params: TopParams) -> Self {
        let mut top = MinerTop {
            model,
            name,
            params,
            inputs: MinerTopIn { rst: 1, uart_rx: 1 },
            applied: None,
            outputs: MinerTopOut::default(),
            cycles: 0,
        };
        top.reset();
        top
    }

    /// The model's name (a built-in model's, or a loaded library's path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters the model was built with.
    pub fn params(&self) -> TopParams {
        self.params
    }

    /// Core clock, Hz (parameter `CLK_HZ`).
    pub fn clk_hz(&self) -> u64 {
        self.params.clk_hz
    }

    /// UART rate, bits per second (parameter `BAUD`).
    pub fn baud(&self) -> u64 {
        self.params.baud
    }

    /// SHA-256 rounds per clock per core.
    pub fn rounds_per_clk(&self) -> u64 {
        self.params.rounds_per_clk
    }

    /// Parallel cores.
    pub fn cores(&self) -> u64 {
        self.params.cores
    }

    /// The build id reported in IDENTITY.
    pub fn build_id(&self) -> u64 {
        self.params.build_id
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
