// SPDX-License-Identifier: MIT OR Apache-2.0
//
// C ABI for one Verilator model of sha256d_miner. Compiled once per model with
// AMBER_MODEL (the Verilator class) and AMBER_PREFIX (the symbol prefix) defined.
#include <cstdint>
#include "verilated.h"
#include AMBER_MODEL_HEADER

#define AMBER_CAT2(a, b) a##b
#define AMBER_CAT(a, b) AMBER_CAT2(a, b)
#define AMBER_FN(name) AMBER_CAT(AMBER_PREFIX, name)

// Must match `MinerIn` / `MinerOut` in src/ffi.rs.
struct MinerIn {
    uint8_t rst, work_valid, work_tag, flush, event_ready, header_order;
    uint32_t midstate[8];  // H0..H7
    uint32_t tail[3];      // header bytes 64..75 as big-endian words
    uint32_t nonce_start, nonce_end, threshold;
};

struct MinerOut {
    uint8_t work_ready, event_valid, event_done, event_tag;
    uint8_t found_dropped, busy, queued, current_tag;
    uint32_t event_nonce;
    uint64_t nonces_hashed;
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
    m->top.eval();
    return m;
}

void AMBER_FN(_free)(void* handle) { delete static_cast<Model*>(handle); }

// Applies the inputs and settles the logic with the clock low.
void AMBER_FN(_set)(void* handle, const MinerIn* in) {
    AMBER_MODEL& t = static_cast<Model*>(handle)->top;
    t.rst = in->rst;
    t.work_valid = in->work_valid;
    t.work_tag = in->work_tag;
    t.flush = in->flush;
    t.event_ready = in->event_ready;
    for (int i = 0; i < 8; i++) t.work_midstate[7 - i] = in->midstate[i];
    for (int i = 0; i < 3; i++) t.work_tail[2 - i] = in->tail[i];
    t.work_nonce_start = in->nonce_start;
    t.work_nonce_end = in->nonce_end;
    t.work_threshold = in->threshold;
    t.work_header_order = in->header_order;
    t.eval();
}

// Reads the outputs as they are now (before the next rising edge).
void AMBER_FN(_get)(void* handle, MinerOut* out) {
    AMBER_MODEL& t = static_cast<Model*>(handle)->top;
    out->work_ready = t.work_ready;
    out->event_valid = t.event_valid;
    out->event_done = t.event_done;
    out->event_tag = t.event_tag;
    out->event_nonce = t.event_nonce;
    out->found_dropped = t.found_dropped;
    out->busy = t.busy;
    out->queued = t.queued;
    out->current_tag = t.current_tag;
    out->nonces_hashed = t.nonces_hashed;
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
