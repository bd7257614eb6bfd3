//! `amber list`: the FTDI devices attached, and which boards they could be.

use clap::Args;
use serde::Serialize;

use super::programmer::{board_ids, hint};
use amber::board;

/// List attached FTDI devices with chip type, serial, bus path and matching boards.
#[derive(Debug, Args)]
pub struct Cmd {
    /// Print one JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    bus_path: String,
    vid: String,
    pid: String,
    chip: String,
    serial: String,
    product: String,
    boards: Vec<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<()> {
        let devices = amber::usb::rusb::list(&board_ids()).map_err(hint)?;
        let rows: Vec<Row> = devices
            .into_iter()
            .map(|d| Row {
                boards: board::boards()
                    .iter()
                    .filter(|b| b.usb.vid == d.vid && b.usb.pid == d.pid)
                    .map(|b| b.name.clone())
                    .collect(),
                bus_path: d.bus_path,
                vid: format!("{:04x}", d.vid),
                pid: format!("{:04x}", d.pid),
                chip: d
                    .chip
                    .map_or_else(|| "unknown".to_owned(), |c| c.to_string()),
                serial: d.serial.unwrap_or_else(|| "-".to_owned()),
                product: d.product.unwrap_or_else(|| "-".to_owned()),
            })
            .collect();
        if self.json {
            println!("{}", serde_json::to_string(&rows)?);
            return Ok(());
        }
        if rows.is_empty() {
            println!("no FTDI devices found");
            return Ok(());
        }
        println!(
            "{:<10} {:<9} {:<8} {:<12} {:<24} boards",
            "bus path", "vid:pid", "chip", "serial", "product"
        );
        for r in rows {
            println!(
                "{:<10} {}:{} {:<8} {:<12} {:<24} {}",
                r.bus_path,
                r.vid,
                r.pid,
                r.chip,
                r.serial,
                r.product,
                if r.boards.is_empty() {
                    "-".to_owned()
                } else {
                    r.boards.join(", ")
                }
            );
        }
        Ok(())
    }
}
