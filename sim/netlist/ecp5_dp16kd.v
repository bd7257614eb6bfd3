// SPDX-License-Identifier: MIT OR Apache-2.0
//
// Simulation model of the ECP5 DP16KD block RAM (18 kbit), for netlist models
// only: Yosys ships the cell as a black box. It models the modes synth_ecp5
// produces, from the ECP5 memory usage guide:
//
// - Both ports the same width (1, 2, 4, 9 or 18 bits: true dual port), or
//   pseudo dual port at 36 bits (port A writes DIB:DIA, port B reads DOB:DOA).
//   Other width pairs stop the elaboration.
// - Address bits: the word address is AD[13:k], k = log2 of the bits per
//   word (AD[13:4] at 18 bits, AD[13:5] at 36). At 18 bits AD[1:0] and at 36
//   bits ADA[3:0] enable the 9-bit byte lanes of a write.
// - A port acts on the rising edge of its clock (CLKxMUX "INV": falling) while
//   CEx is high and CSx[2:0] equals CSDECODE_x. A write stores DI; the output
//   latch then keeps its value (WRITEMODE "NORMAL"), shows the new word
//   ("WRITETHROUGH") or the old one ("READBEFOREWRITE"). Otherwise it reads.
// - REGMODE "OUTREG" adds the output register, loaded while OCEx is high.
// - RSTx clears the output latch and register, at the clock edge (RESETMODE
//   "SYNC") or at once ("ASYNC").
// - Reading a word the other port writes on the same edge is undefined on the
//   chip: the model then returns the word inverted, so a design that relies
//   on it fails its check.
// - INITVAL_00..3F hold the 18-bit words at 20-bit strides (16 per value);
//   at other widths than 18 they must be zero.
`default_nettype none

module DP16KD (
    input  wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9,
    input  wire DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input  wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5,
    input  wire ADA4, ADA3, ADA2, ADA1, ADA0,
    input  wire CEA, OCEA, CLKA, WEA, RSTA,
    input  wire CSA2, CSA1, CSA0,
    output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9,
    output wire DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input  wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9,
    input  wire DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input  wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5,
    input  wire ADB4, ADB3, ADB2, ADB1, ADB0,
    input  wire CEB, OCEB, CLKB, WEB, RSTB,
    input  wire CSB2, CSB1, CSB0,
    output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9,
    output wire DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);

parameter DATA_WIDTH_A = 18;
parameter DATA_WIDTH_B = 18;
parameter REGMODE_A = "NOREG";
parameter REGMODE_B = "NOREG";
parameter RESETMODE = "SYNC";
parameter ASYNC_RESET_RELEASE = "SYNC";
parameter CSDECODE_A = "0b000";
parameter CSDECODE_B = "0b000";
parameter WRITEMODE_A = "NORMAL";
parameter WRITEMODE_B = "NORMAL";
parameter CLKAMUX = "CLKA";
parameter CLKBMUX = "CLKB";
parameter GSR = "ENABLED";
parameter INIT_DATA = "STATIC";
parameter [319:0] INITVAL_00 = 320'h0, INITVAL_01 = 320'h0, INITVAL_02 = 320'h0, INITVAL_03 = 320'h0;
parameter [319:0] INITVAL_04 = 320'h0, INITVAL_05 = 320'h0, INITVAL_06 = 320'h0, INITVAL_07 = 320'h0;
parameter [319:0] INITVAL_08 = 320'h0, INITVAL_09 = 320'h0, INITVAL_0A = 320'h0, INITVAL_0B = 320'h0;
parameter [319:0] INITVAL_0C = 320'h0, INITVAL_0D = 320'h0, INITVAL_0E = 320'h0, INITVAL_0F = 320'h0;
parameter [319:0] INITVAL_10 = 320'h0, INITVAL_11 = 320'h0, INITVAL_12 = 320'h0, INITVAL_13 = 320'h0;
parameter [319:0] INITVAL_14 = 320'h0, INITVAL_15 = 320'h0, INITVAL_16 = 320'h0, INITVAL_17 = 320'h0;
parameter [319:0] INITVAL_18 = 320'h0, INITVAL_19 = 320'h0, INITVAL_1A = 320'h0, INITVAL_1B = 320'h0;
parameter [319:0] INITVAL_1C = 320'h0, INITVAL_1D = 320'h0, INITVAL_1E = 320'h0, INITVAL_1F = 320'h0;
parameter [319:0] INITVAL_20 = 320'h0, INITVAL_21 = 320'h0, INITVAL_22 = 320'h0, INITVAL_23 = 320'h0;
parameter [319:0] INITVAL_24 = 320'h0, INITVAL_25 = 320'h0, INITVAL_26 = 320'h0, INITVAL_27 = 320'h0;
parameter [319:0] INITVAL_28 = 320'h0, INITVAL_29 = 320'h0, INITVAL_2A = 320'h0, INITVAL_2B = 320'h0;
parameter [319:0] INITVAL_2C = 320'h0, INITVAL_2D = 320'h0, INITVAL_2E = 320'h0, INITVAL_2F = 320'h0;
parameter [319:0] INITVAL_30 = 320'h0, INITVAL_31 = 320'h0, INITVAL_32 = 320'h0, INITVAL_33 = 320'h0;
parameter [319:0] INITVAL_34 = 320'h0, INITVAL_35 = 320'h0, INITVAL_36 = 320'h0, INITVAL_37 = 320'h0;
parameter [319:0] INITVAL_38 = 320'h0, INITVAL_39 = 320'h0, INITVAL_3A = 320'h0, INITVAL_3B = 320'h0;
parameter [319:0] INITVAL_3C = 320'h0, INITVAL_3D = 320'h0, INITVAL_3E = 320'h0, INITVAL_3F = 320'h0;

localparam PDP = DATA_WIDTH_A == 36;
localparam W = PDP ? 36 : DATA_WIDTH_A;          // bits per word
localparam LOG2_W = W >= 36 ? 5 : W >= 18 ? 4 : W >= 9 ? 3 : W >= 4 ? 2 : W >= 2 ? 1 : 0;
localparam WORDS = 16384 >> LOG2_W;
localparam LANES = W >= 18 ? W / 9 : 1;          // byte lanes with their own enable
localparam [2:0] CS_A = CSDECODE_A == "0b000" ? 3'd0 : CSDECODE_A == "0b001" ? 3'd1
                      : CSDECODE_A == "0b010" ? 3'd2 : CSDECODE_A == "0b011" ? 3'd3
                      : CSDECODE_A == "0b100" ? 3'd4 : CSDECODE_A == "0b101" ? 3'd5
                      : CSDECODE_A == "0b110" ? 3'd6 : 3'd7;
localparam [2:0] CS_B = CSDECODE_B == "0b000" ? 3'd0 : CSDECODE_B == "0b001" ? 3'd1
                      : CSDECODE_B == "0b010" ? 3'd2 : CSDECODE_B == "0b011" ? 3'd3
                      : CSDECODE_B == "0b100" ? 3'd4 : CSDECODE_B == "0b101" ? 3'd5
                      : CSDECODE_B == "0b110" ? 3'd6 : 3'd7;

localparam [20479:0] INITVAL = {
    INITVAL_3F, INITVAL_3E, INITVAL_3D, INITVAL_3C, INITVAL_3B, INITVAL_3A, INITVAL_39, INITVAL_38,
    INITVAL_37, INITVAL_36, INITVAL_35, INITVAL_34, INITVAL_33, INITVAL_32, INITVAL_31, INITVAL_30,
    INITVAL_2F, INITVAL_2E, INITVAL_2D, INITVAL_2C, INITVAL_2B, INITVAL_2A, INITVAL_29, INITVAL_28,
    INITVAL_27, INITVAL_26, INITVAL_25, INITVAL_24, INITVAL_23, INITVAL_22, INITVAL_21, INITVAL_20,
    INITVAL_1F, INITVAL_1E, INITVAL_1D, INITVAL_1C, INITVAL_1B, INITVAL_1A, INITVAL_19, INITVAL_18,
    INITVAL_17, INITVAL_16, INITVAL_15, INITVAL_14, INITVAL_13, INITVAL_12, INITVAL_11, INITVAL_10,
    INITVAL_0F, INITVAL_0E, INITVAL_0D, INITVAL_0C, INITVAL_0B, INITVAL_0A, INITVAL_09, INITVAL_08,
    INITVAL_07, INITVAL_06, INITVAL_05, INITVAL_04, INITVAL_03, INITVAL_02, INITVAL_01, INITVAL_00};

if (!(PDP ? DATA_WIDTH_B == 36
          : DATA_WIDTH_A == DATA_WIDTH_B && (W == 1 || W == 2 || W == 4 || W == 9 || W == 18)))
begin : g_check_widths
    $error("DP16KD model: DATA_WIDTH_A %0d with DATA_WIDTH_B %0d is not modelled", DATA_WIDTH_A,
           DATA_WIDTH_B);
end
if (W != 18 && INITVAL != 20480'h0) begin : g_check_init
    $error("DP16KD model: INITVAL is modelled at 18 bits per word only");
end
if (REGMODE_A != "NOREG" && REGMODE_A != "OUTREG" || REGMODE_B != "NOREG" && REGMODE_B != "OUTREG")
begin : g_check_regmode
    $error("DP16KD model: REGMODE must be NOREG or OUTREG");
end

wire [13:0] ad_a = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
wire [13:0] ad_b = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
wire [17:0] di_a = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
wire [17:0] di_b = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};

wire [13-LOG2_W:0] addr_a = ad_a[13:LOG2_W];
wire [13-LOG2_W:0] addr_b = ad_b[13:LOG2_W];
wire [35:0] di_ba = {di_b, di_a};
wire [W-1:0] data_a = di_ba[W-1:0];              // PDP: all 36 bits
wire [W-1:0] data_b = di_b[W-1:0];
wire [3:0] lanes_a = PDP ? ad_a[3:0] : W == 18 ? {2'b00, ad_a[1:0]} : 4'b0001;
wire [3:0] lanes_b = W == 18 ? {2'b00, ad_b[1:0]} : 4'b0001;

wire clk_a = CLKAMUX == "INV" ? !CLKA : CLKA;
wire clk_b = CLKBMUX == "INV" ? !CLKB : CLKB;
wire on_a = CEA && {CSA2, CSA1, CSA0} == CS_A;
wire on_b = CEB && {CSB2, CSB1, CSB0} == CS_B;
wire write_a = on_a && WEA;
wire write_b = on_b && WEB && !PDP;

reg [W-1:0] mem [0:WORDS-1];
integer i;
initial begin
    for (i = 0; i < WORDS; i = i + 1) begin
        mem[i] = W == 18 ? INITVAL[20 * i +: 18] : {W{1'b0}};
    end
end

// A write's word: the enabled byte lanes from data, the others from old.
function [W-1:0] merged(input [W-1:0] old, input [W-1:0] data, input [3:0] lanes);
    integer l;
    begin
        merged = old;
        for (l = 0; l < LANES; l = l + 1) begin
            if (LANES == 1 || lanes[l]) begin
                merged[9 * l +: (LANES == 1 ? W : 9)] = data[9 * l +: (LANES == 1 ? W : 9)];
            end
        end
    end
endfunction

reg [W-1:0] latch_a = {W{1'b0}};
reg [W-1:0] latch_b = {W{1'b0}};
reg [W-1:0] outreg_a = {W{1'b0}};
reg [W-1:0] outreg_b = {W{1'b0}};

// The word a read returns: undefined (inverted here) when the other port
// writes it on the same edge.
wire collide_a = write_b && addr_b == addr_a;
wire collide_b = write_a && addr_a == addr_b;

always @(posedge clk_a) begin
    if (on_a) begin
        if (write_a) begin
            mem[addr_a] <= merged(mem[addr_a], data_a, lanes_a);
            if (WRITEMODE_A == "WRITETHROUGH") begin
                latch_a <= merged(mem[addr_a], data_a, lanes_a);
            end else if (WRITEMODE_A == "READBEFOREWRITE") begin
                latch_a <= mem[addr_a];
            end
        end else begin
            latch_a <= collide_a ? ~mem[addr_a] : mem[addr_a];
        end
    end
    if (OCEA) begin
        outreg_a <= latch_a;
    end
    if (RESETMODE == "SYNC" && RSTA) begin
        latch_a <= {W{1'b0}};
        outreg_a <= {W{1'b0}};
    end
end

always @(posedge clk_b) begin
    if (on_b) begin
        if (write_b) begin
            mem[addr_b] <= merged(mem[addr_b], data_b, lanes_b);
            if (WRITEMODE_B == "WRITETHROUGH") begin
                latch_b <= merged(mem[addr_b], data_b, lanes_b);
            end else if (WRITEMODE_B == "READBEFOREWRITE") begin
                latch_b <= mem[addr_b];
            end
        end else begin
            latch_b <= collide_b ? ~mem[addr_b] : mem[addr_b];
        end
    end
    if (OCEB) begin
        outreg_b <= latch_b;
    end
    if (RESETMODE == "SYNC" && RSTB) begin
        latch_b <= {W{1'b0}};
        outreg_b <= {W{1'b0}};
    end
end

wire [W-1:0] out_a = RESETMODE == "ASYNC" && RSTA ? {W{1'b0}} : REGMODE_A == "OUTREG" ? outreg_a : latch_a;
wire [W-1:0] out_b = RESETMODE == "ASYNC" && RSTB ? {W{1'b0}} : REGMODE_B == "OUTREG" ? outreg_b : latch_b;
if (PDP) begin : g_pdp_out
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5,
            DOB4, DOB3, DOB2, DOB1, DOB0, DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10,
            DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = out_b;
end else begin : g_dual_out
    wire [17:0] pins_a = 18'(out_a);
    wire [17:0] pins_b = 18'(out_b);
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9,
            DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = pins_a;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9,
            DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = pins_b;
end

endmodule

`default_nettype wire
