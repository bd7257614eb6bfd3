//! Verilates the RTL into C++ models and compiles them with their C shims.
//!
//! The models are the rows of `MODELS` below (rust name, top module,
//! parameters) and one `miner_top` per board of `boards.toml`, with that
//! board's clock, UART rate, rounds per clock, cores and schedule RAMs, plus a
//! `sha256d_miner` of each board's core configuration that `MODELS` lacks. So
//! every shipped configuration is simulated, and a new board brings its
//! models. Rows marked `test_only` are built only with the `test-models`
//! feature, so a binary that needs one model does not compile them all.

use std::borrow::Cow;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Verilog parameters (name, value).
type Params = Cow<'static, [(&'static str, u32)]>;

#[derive(Clone)]
struct Model {
    /// Rust-side name and C symbol prefix.
    name: Cow<'static, str>,
    /// Verilog top module (rtl/<top>.sv or .v) and shim (shim/<top>.cpp).
    top: &'static str,
    /// Verilog parameters, passed as -G.
    params: Params,
    /// Built only with the `test-models` feature.
    test_only: bool,
}

const MODELS: &[Model] = &[
    Model {
        name: Cow::Borrowed("sha256d_miner_r64"),
        top: "sha256d_miner",
        // The message-schedule delays of an LFE5U-85F (scripts/report_core.py):
        // most in block RAM, the rest in distributed RAM and registers.
        params: Cow::Borrowed(&[
            ("ROUNDS_PER_CLK", 64),
            ("CORES", 1),
            ("SCHEDULE_BRAMS", 196),
        ]),
        test_only: true,
    },
    Model {
        name: Cow::Borrowed("sha256d_miner_r8"),
        top: "sha256d_miner",
        params: Cow::Borrowed(&[("ROUNDS_PER_CLK", 8), ("CORES", 1)]),
        test_only: true,
    },
    // The iCE40 boards' core: the first-hash windows in block RAM (r1), and in
    // flip-flops with two pipelines (r1_x2).
    Model {
        name: Cow::Borrowed("sha256d_miner_r1"),
        top: "sha256d_miner",
        params: Cow::Borrowed(&[("ROUNDS_PER_CLK", 1), ("CORES", 1), ("SCHEDULE_BRAMS", 4)]),
        test_only: true,
    },
    Model {
        name: Cow::Borrowed("sha256d_miner_r1_x2"),
        top: "sha256d_miner",
        params: Cow::Borrowed(&[("ROUNDS_PER_CLK", 1), ("CORES", 2)]),
        test_only: true,
    },
    Model {
        name: Cow::Borrowed("sha256d_miner_r8_x4"),
        top: "sha256d_miner",
        params: Cow::Borrowed(&[("ROUNDS_PER_CLK", 8), ("CORES", 4)]),
        test_only: true,
    },
    // The simulated board behind `amber --sim` and the protocol tests: one hash
    // per clock, and a UART at 17.4 clocks per bit (a fractional ratio, as on
    // real boards) so frames take a few thousand clocks.
    Model {
        name: Cow::Borrowed("miner_top_sim"),
        top: "miner_top",
        params: Cow::Borrowed(&[
            ("CLK_HZ", 2_000_000),
            ("BAUD", 115_200),
            ("ROUNDS_PER_CLK", 64),
            ("CORES", 1),
            ("BUILD_ID", 0x414d_4253),
        ]),
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

    let boards_toml = root.join("boards.toml");
    println!("cargo:rerun-if-changed={}", boards_toml.display());
    let all_models = with_board_models(MODELS.to_vec(), &read_boards(&boards_toml));

    let test_models = env::var_os("CARGO_FEATURE_TEST_MODELS").is_some();
    let models: Vec<&Model> = all_models
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

/// What the models need of one `[[board]]` of boards.toml.
struct Board {
    name: String,
    core_hz: u32,
    baud: u32,
    rounds_per_clk: u32,
    cores: u32,
    schedule_brams: u32,
}

/// Build id of the board models: "AMBB" (a bitstream's is a digest of its sources).
const BOARD_MODEL_BUILD_ID: u32 = 0x414d_4242;

/// The boards of `path`. The host validates the table (`amber boards`); this
/// reads only the fields the models are built from.
fn read_boards(path: &Path) -> Vec<Board> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", path.display())));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    let boards = table
        .get("board")
        .and_then(|b| b.as_array())
        .unwrap_or_else(|| fail(&format!("{} has no [[board]] entries", path.display())));
    boards
        .iter()
        .map(|entry| {
            let name = entry
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| fail("a [[board]] in boards.toml has no name"))
                .to_string();
            let number = |key: &str| -> u32 {
                entry
                    .get(key)
                    .and_then(|v| v.as_integer())
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or_else(|| {
                        fail(&format!("boards.toml: board {name}: {key} is not a u32"))
                    })
            };
            Board {
                core_hz: number("core_hz"),
                baud: number("baud"),
                rounds_per_clk: number("rounds_per_clk"),
                cores: number("cores"),
                schedule_brams: number("schedule_brams"),
                name,
            }
        })
        .collect()
}

/// Parameters with their defaults left out, for comparing configurations.
fn explicit(params: &[(&'static str, u32)]) -> Vec<(&'static str, u32)> {
    let mut kept: Vec<_> = params
        .iter()
        .copied()
        .filter(|&(key, value)| !(key == "SCHEDULE_BRAMS" && value == 0))
        .collect();
    kept.sort_unstable();
    kept
}

/// `models` plus, per board, `miner_top_<board>` and (unless one with the same
/// parameters exists) `sha256d_miner_r<R>[_x<C>][_b<B>]`; all test-only.
fn with_board_models(mut models: Vec<Model>, boards: &[Board]) -> Vec<Model> {
    for board in boards {
        let core = vec![
            ("ROUNDS_PER_CLK", board.rounds_per_clk),
            ("CORES", board.cores),
            ("SCHEDULE_BRAMS", board.schedule_brams),
        ];
        let known = models
            .iter()
            .any(|m| m.top == "sha256d_miner" && explicit(&m.params) == explicit(&core));
        if !known {
            let mut name = format!("sha256d_miner_r{}", board.rounds_per_clk);
            if board.cores > 1 {
                name.push_str(&format!("_x{}", board.cores));
            }
            if board.schedule_brams > 0 {
                name.push_str(&format!("_b{}", board.schedule_brams));
            }
            models.push(Model {
                name: Cow::Owned(name),
                top: "sha256d_miner",
                params: Cow::Owned(core.clone()),
                test_only: true,
            });
        }
        let mut params = vec![("CLK_HZ", board.core_hz), ("BAUD", board.baud)];
        params.extend(core);
        params.push(("BUILD_ID", BOARD_MODEL_BUILD_ID));
        models.push(Model {
            name: Cow::Owned(format!("miner_top_{}", board.name.replace('-', "_"))),
            top: "miner_top",
            params: Cow::Owned(params),
            test_only: true,
        });
    }
    models
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

/// The RTL packages (`rtl/*_pkg.sv`), sorted.
fn rtl_packages(rtl: &Path) -> Vec<PathBuf> {
    let mut packages: Vec<PathBuf> = fs::read_dir(rtl)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", rtl.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("_pkg.sv"))
        })
        .collect();
    packages.sort();
    packages
}

/// The file of RTL module `name`: `rtl/<name>.sv` where it uses SystemVerilog,
/// else `rtl/<name>.v`.
fn module_file(rtl: &Path, name: &str) -> PathBuf {
    ["sv", "v"]
        .iter()
        .map(|ext| rtl.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
        .unwrap_or_else(|| fail(&format!("no rtl/{name}.sv or rtl/{name}.v")))
}

fn build_model(model: &Model, rtl: &Path, shim_dir: &Path, out: &Path, include: &Path) {
    let mdir = out.join(model.name.as_ref());
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
    for (key, value) in model.params.iter() {
        cmd.arg(format!("-G{key}={value}"));
    }
    // Packages are not found through -y: they come first, by name.
    cmd.args(rtl_packages(rtl));
    cmd.arg(module_file(rtl, model.top));
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
