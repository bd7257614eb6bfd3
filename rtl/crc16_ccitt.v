// SPDX-License-Identifier: MIT OR Apache-2.0
//
// crc16_ccitt: one byte of CRC-16/CCITT-FALSE (poly 0x1021, MSB first), combinational.
// The frame CRC starts at 0xFFFF with no reflection and no final XOR.
`resetall
`default_nettype none

module crc16_ccitt (
    input  wire [15:0] crc_in,
    input  wire [7:0]  data,
    output wire [15:0] crc_out
);

reg [15:0] crc;
integer    i;

always @* begin
    crc = crc_in ^ {data, 8'h00};
    for (i = 0; i < 8; i = i + 1) begin
        crc = crc[15] ? {crc[14:0], 1'b0} ^ 16'h1021 : {crc[14:0], 1'b0};
    end
end

assign crc_out = crc;

endmodule

`resetall
