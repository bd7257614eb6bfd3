// SPDX-License-Identifier: MIT OR Apache-2.0
//
// C ABI for one Verilator model of miner_top (pins only: reset, UART, LEDs).
// Compiled once per model with AMBER_MODEL (the Verilator class) and AMBER_PREFIX
// (the symbol prefix) defined.
#include <cstdint>
#include "verilated.h"
#include AMBER_MODEL_HEADER

#define AMBER_CAT2(a, b) a##b
#define AMBER_CAT(a, b) AMBER_CAT2(a, b)
#define AMBER_FN(name) AMBER_CAT(AMBER_PREFIX, name)

// Must match `MinerTopIn` / `MinerTopOut` in src/ffi.rs.
struct MinerTopIn {
    uint8_t rst, uart_rx;
};

struct MinerTopOut {
    uint8_t uart_tx, led_alive, led_hashing, led_found;
};

struct Model {
    VerilatedContext context;
    AMBER_MODEL top;
    Model() : context(), top(&context, "top") {}
};

extern "C" {

void* AMBER_FN(_new)() {
    Model* m = new Model();
    m->top.clk = 0;
    m->top.uart_rx = 1;
    m->top.eval();
    return m;
}

void AMBER_FN(_free)(void* handle) { delete static_cast<Model*>(handle); }

// Applies the inputs and settles the logic with the clock low.
void AMBER_FN(_set)(void* handle, const MinerTopIn* in) {
    AMBER_MODEL& t = static_cast<Model*>(handle)->top;
    t.rst = in->rst;
    t.uart_rx = in->uart_rx;
    t.eval();
}

// Reads the pins as they are now (before the next rising edge).
void AMBER_FN(_get)(void* handle, MinerTopOut* out) {
    AMBER_MODEL& t = static_cast<Model*>(handle)->top;
    out->uart_tx = t.uart_tx;
    out->led_alive = t.led_alive;
    out->led_hashing = t.led_hashing;
    out->led_found = t.led_found;
}

// n rising edges with the inputs held.
void AMBER_FN(_step)(void* handle, uint64_t n) {
    AMBER_MODEL& t = static_cast<Model*>(handle)->top;
    for (uint64_t i = 0; i < n; i++) {
        t.clk = 1;
        t.eval();
        t.clk = 0;
        t.eval();
    }
}

}
