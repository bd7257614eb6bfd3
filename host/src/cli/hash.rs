//! `amber hash`: everything the reference hasher knows about one header.

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use amber::hash::Header;

/// Hash an 80-byte block header and show its midstate, tail, target and difficulty.
#[derive(Debug, Args)]
pub struct Cmd {
    /// The header as 160 hex digits, in serialized byte order.
    header: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    hash: String,
    midstate: String,
    tail: String,
    nonce: u32,
    nonce_hex: String,
    version: u32,
    time: u32,
    bits: String,
    target: String,
    meets_target: bool,
    difficulty: f64,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let header = Header::from_hex(&self.header).context("reading the header argument")?;
        let target = header.target().context("decoding the header's nBits")?;
        let hash = header.hash();
        let report = Report {
            hash: hash.display_hex(),
            midstate: header.midstate().to_hex(),
            tail: header.tail().to_hex(),
            nonce: header.nonce().0,
            nonce_hex: header.nonce().submit_hex(),
            version: header.version(),
            time: header.time(),
            bits: format!("{:08x}", header.bits()),
            target: target.to_hex(),
            meets_target: hash.meets(&target),
            difficulty: hash.difficulty(),
        };
        if self.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("hash        {}", report.hash);
            println!("midstate    {}", report.midstate);
            println!("tail        {}", report.tail);
            println!("nonce       {} (0x{})", report.nonce, report.nonce_hex);
            println!("version     {:#010x}", report.version);
            println!("time        {}", report.time);
            println!("nbits       {}", report.bits);
            println!("target      {}", report.target);
            println!(
                "meets       {}",
                if report.meets_target { "yes" } else { "no" }
            );
            println!("difficulty  {:.6}", report.difficulty);
        }
        Ok(())
    }
}
