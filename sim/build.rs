//! Verilates the RTL into C++ models and compiles them with their C shims.
//!
//! THE model table is `MODELS` below: one row per (rust name, top module,
//! parameters). Rows marked `test_only` are built only with the `test-models`
//! feature, so a binary that needs one model does not compile them all.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Model {
    /// Rust-side name and C symbol prefix.
    name: &'static str,
    /// Verilog top module (rtl/<top>.v) and shim (shim/<top>.cpp).
    top: &'static str,
    /// Verilog parameters, passed as -G.
    params: &'static [(&'static str, u32)],
    /// Built only with the `test-models` feature.
    test_only: bool,
}

const MODELS: &[Model] = &[
    Model {
        name: "sha256d_miner_r64",
        top: "sha256d_miner",
        // The message-schedule delays of an LFE5U-85F (scripts/report_core.py):
        // most in block RAM, the rest in distributed RAM and registers.
        params: &[
            ("ROUNDS_PER_CLK", 64),
            ("CORES", 1),
            ("SCHEDULE_BRAMS", 196),
        ],
        test_only: true,
    },
    Model {
        name: "sha256d_miner_r8",
        top: "sha256d_miner",
        params: &[("ROUNDS_PER_CLK", 8), ("CORES", 1)],
        test_only: true,
    },
    // The iCE40 boards' core: the first-hash windows in block RAM (r1), and in
    // flip-flops with two pipelines (r1_x2).
    Model {
        name: "sha256d_miner_r1",
        top: "sha256d_miner",
        params: &[("ROUNDS_PER_CLK", 1), ("CORES", 1), ("SCHEDULE_BRAMS", 4)],
        test_only: true,
    },
    Model {
        name: "sha256d_miner_r1_x2",
        top: "sha256d_miner",
        params: &[("ROUNDS_PER_CLK", 1), ("CORES", 2)],
        test_only: true,
    },
    Model {
        name: "sha256d_miner_r8_x4",
        top: "sha256d_miner",
        params: &[("ROUNDS_PER_CLK", 8), ("CORES", 4)],
        test_only: true,
    },
    // The simulated board behind `amber --sim` and the protocol tests: one hash
    // per clock, and a UART at 17.4 clocks per bit (a fractional ratio, as on
    // real boards) so frames take a few thousand clocks.
    Model {
        name: "miner_top_sim",
        top: "miner_top",
        params: &[
            ("CLK_HZ", 2_000_000),
            ("BAUD", 115_200),
            ("ROUNDS_PER_CLK", 64),
            ("CORES", 1),
            ("BUILD_ID", 0x414d_4253),
        ],
        test_only: false,
    },
];

/// Tops with a shim; each has `<Camel>In`/`<Camel>Out` structs in src/ffi.rs.
const TOPS: &[&str] = &["sha256d_miner", "miner_top"];

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("sim/ lives in the workspace root")
        .to_path_buf();
    let rtl = root.join("rtl");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed={}", rtl.display());
    println!("cargo:rerun-if-changed={}", manifest.join("shim").display());
    println!("cargo:rerun-if-changed=build.rs");

    let test_models = env::var_os("CARGO_FEATURE_TEST_MODELS").is_some();
    let models: Vec<&Model> = MODELS
        .iter()
        .filter(|m| test_models || !m.test_only)
        .collect();

    if !models.is_empty() {
        let include = verilator_include();
        for model in &models {
            build_model(model, &rtl, &manifest.join("shim"), &out, &include);
        }
        build_runtime(&include);
    }
    write_bindings(&models, &out);
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

/// The Verilator runtime include directory, or a build error naming `make setup`.
fn verilator_include() -> PathBuf {
    let output = Command::new("verilator")
        .arg("--getenv")
        .arg("VERILATOR_ROOT")
        .output();
    match output {
        Ok(o) if o.status.success() => {
            let root = String::from_utf8_lossy(&o.stdout).trim().to_string();
            PathBuf::from(root).join("include")
        }
        _ => fail("amber-sim needs `verilator` on PATH to build its models: run `make setup`"),
    }
}

/// The RTL packages (`rtl/*_pkg.v`), sorted.
fn rtl_packages(rtl: &Path) -> Vec<PathBuf> {
    let mut packages: Vec<PathBuf> = fs::read_dir(rtl)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", rtl.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("_pkg.v"))
        })
        .collect();
    packages.sort();
    packages
}

fn build_model(model: &Model, rtl: &Path, shim_dir: &Path, out: &Path, include: &Path) {
    let mdir = out.join(model.name);
    let _ = fs::remove_dir_all(&mdir);
    let prefix = format!("V{}", model.name);
    let mut cmd = Command::new("verilator");
    cmd.args([
        "--cc",
        "-Wall",
        "--no-timing",
        "-O3",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
    ])
    .arg("--prefix")
    .arg(&prefix)
    .arg("--top-module")
    .arg(model.top)
    .arg("-y")
    .arg(rtl)
    .arg("--Mdir")
    .arg(&mdir);
    for (key, value) in model.params {
        cmd.arg(format!("-G{key}={value}"));
    }
    // Packages are not found through -y: they come first, by name.
    cmd.args(rtl_packages(rtl));
    cmd.arg(rtl.join(format!("{}.v", model.top)));
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("verilator failed on model {} ({s})", model.name)),
        Err(e) => fail(&format!("cannot run verilator ({e}): run `make setup`")),
    }

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++17")
        .opt_level(1)
        .debug(false)
        .warnings(false)
        .flag_if_supported("-w")
        .include(include)
        .include(include.join("vltstd"))
        .include(&mdir)
        .define("AMBER_MODEL", prefix.as_str())
        .define("AMBER_MODEL_HEADER", format!("\"{prefix}.h\"").as_str())
        .define("AMBER_PREFIX", format!("amber_{}", model.name).as_str());
    let mut sources: Vec<PathBuf> = fs::read_dir(&mdir)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", mdir.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    sources.sort();
    build.files(sources);
    build.file(shim_dir.join(format!("{}.cpp", model.top)));
    build.compile(&format!("amber_{}", model.name));
}

/// The Verilator runtime, once for all models.
fn build_runtime(include: &Path) {
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .opt_level(1)
        .debug(false)
        .warnings(false)
        .flag_if_supported("-w")
        .include(include)
        .include(include.join("vltstd"))
        .file(include.join("verilated.cpp"))
        .file(include.join("verilated_threads.cpp"))
        .compile("amber_verilated");
    println!("cargo:rustc-link-lib=pthread");
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// Writes `bindings.rs` (extern fns + a table per top, for src/ffi.rs) and
/// `models.rs` (model descriptions, safe).
fn write_bindings(models: &[&Model], out: &Path) {
    let mut ffi = String::new();
    let mut info = String::new();
    for top in TOPS {
        let camel_top = camel(top);
        let upper = top.to_uppercase();
        let ours: Vec<&&Model> = models.iter().filter(|m| m.top == *top).collect();
        ffi.push_str("extern \"C\" {\n");
        for m in &ours {
            let p = format!("amber_{}", m.name);
            let _ = writeln!(ffi, "    fn {p}_new() -> *mut c_void;");
            let _ = writeln!(ffi, "    fn {p}_free(h: *mut c_void);");
            let _ = writeln!(
                ffi,
                "    fn {p}_set(h: *mut c_void, i: *const {camel_top}In);"
            );
            let _ = writeln!(
                ffi,
                "    fn {p}_get(h: *mut c_void, o: *mut {camel_top}Out);"
            );
            let _ = writeln!(ffi, "    fn {p}_step(h: *mut c_void, n: u64);");
        }
        ffi.push_str("}\n");
        let _ = writeln!(
            ffi,
            "pub(crate) static {upper}_FNS: &[ModelFns<{camel_top}In, {camel_top}Out>] = &["
        );
        for m in &ours {
            let p = format!("amber_{}", m.name);
            let _ = writeln!(
                ffi,
                "    ModelFns {{ new: {p}_new, free: {p}_free, set: {p}_set, get: {p}_get, step: {p}_step }},"
            );
        }
        ffi.push_str("];\n");

        let _ = writeln!(info, "/// Every `{top}` model built into this crate.");
        let _ = writeln!(info, "pub static {upper}_MODELS: &[ModelInfo] = &[");
        for (index, m) in ours.iter().enumerate() {
            let params: Vec<String> = m
                .params
                .iter()
                .map(|(k, v)| format!("(\"{k}\", {v})"))
                .collect();
            let _ = writeln!(
                info,
                "    ModelInfo {{ name: \"{}\", top: \"{}\", params: &[{}], index: {index} }},",
                m.name,
                m.top,
                params.join(", ")
            );
        }
        info.push_str("];\n");
    }
    fs::write(out.join("bindings.rs"), ffi)
        .unwrap_or_else(|e| fail(&format!("writing bindings: {e}")));
    fs::write(out.join("models.rs"), info)
        .unwrap_or_else(|e| fail(&format!("writing models: {e}")));
}
