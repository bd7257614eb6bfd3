//! The reference hasher against the real block headers and Stratum vectors
//! shipped in `tests/vectors/`.

use amber::hash::{sha256d, BlockHash, Header, Midstate, Nonce, Target};
use amber::work::{merkle_root, prevhash_from_stratum, StratumJob};
use serde_json::Value;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// (header hex, display-order hash) for every data line of blocks.txt.
fn blocks() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(vectors_dir().join("blocks.txt")).expect("blocks.txt is shipped");
    let rows: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        rows.len() >= 3,
        "blocks.txt should hold at least three headers"
    );
    rows
}

fn stratum() -> Value {
    let text = std::fs::read_to_string(vectors_dir().join("stratum.json"))
        .expect("stratum.json is shipped");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_block_hashes_to_its_id_and_meets_its_target() {
    for (header_hex, hash_hex) in blocks() {
        let header = Header::from_hex(&header_hex).unwrap();
        let hash = header.hash();
        assert_eq!(hash.display_hex(), hash_hex);
        assert_eq!(hash, BlockHash::from_display_hex(&hash_hex).unwrap());
        let target = header.target().unwrap();
        assert!(hash.meets(&target), "{hash_hex} above its target");
        assert!(hash.difficulty() >= target.difficulty());
        assert!(hash.leading_word() <= target.leading_word());
        assert_eq!(target.to_nbits(), header.bits());
        // A neighbouring nonce almost surely misses.
        let next = header
            .with_nonce(Nonce(header.nonce().0.wrapping_add(1)))
            .hash();
        assert!(!next.meets(&target));
    }
}

#[test]
fn every_block_hashes_the_same_through_its_midstate() {
    for (header_hex, _) in blocks() {
        let header = Header::from_hex(&header_hex).unwrap();
        let via_midstate = header.midstate().hash_with(&header.tail(), header.nonce());
        assert_eq!(via_midstate, header.hash());
    }
}

#[test]
fn stratum_genesis_job_builds_the_genesis_header() {
    let v = &stratum()["vectors"][0];
    let p = v["notify_params"].as_array().unwrap();
    let s = |i: usize| p[i].as_str().unwrap();
    let branch: Vec<&str> = p[4]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    let job = StratumJob::from_notify(
        s(0),
        s(1),
        s(2),
        s(3),
        &branch,
        s(5),
        s(6),
        s(7),
        p[8].as_bool().unwrap(),
    )
    .unwrap();
    let e1 = hex::decode(v["extranonce1"].as_str().unwrap()).unwrap();
    let e2 = hex::decode(v["extranonce2"].as_str().unwrap()).unwrap();
    assert_eq!(e2.len(), v["extranonce2_size"].as_u64().unwrap() as usize);
    let submit = v["submit_params"].as_array().unwrap();
    let ntime = u32::from_str_radix(submit[3].as_str().unwrap(), 16).unwrap();
    let nonce = Nonce(u32::from_str_radix(submit[4].as_str().unwrap(), 16).unwrap());
    let header = job.header(&e1, &e2, ntime, nonce);
    assert_eq!(header.to_hex(), v["header80"].as_str().unwrap());
    assert_eq!(
        header.midstate(),
        Midstate::from_hex(v["midstate_be_words"].as_str().unwrap()).unwrap()
    );
    assert_eq!(
        header.hash().display_hex(),
        v["block_hash"].as_str().unwrap()
    );
    assert_eq!(nonce.submit_hex(), submit[4].as_str().unwrap());
    assert_eq!(job.job_id, submit[1].as_str().unwrap());
}

#[test]
fn stratum_block_100000_merkle_branch_and_prevhash() {
    let v = &stratum()["vectors"][1];
    let header = Header::from_hex(v["header80"].as_str().unwrap()).unwrap();
    let prev = hex::decode(v["prevhash_stratum"].as_str().unwrap()).unwrap();
    assert_eq!(
        prevhash_from_stratum(prev.try_into().unwrap()),
        header.prev_hash()
    );

    let coinbase =
        BlockHash::from_display_hex(v["coinbase_txid_display"].as_str().unwrap()).unwrap();
    let branch: Vec<[u8; 32]> = v["merkle_branch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let root = merkle_root(&coinbase, &branch);
    assert_eq!(
        root.display_hex(),
        v["merkle_root_display"].as_str().unwrap()
    );
    assert_eq!(*root.bytes(), header.merkle_root());

    let word = |k: &str| u32::from_str_radix(v[k].as_str().unwrap(), 16).unwrap();
    assert_eq!(header.version(), word("version"));
    assert_eq!(header.bits(), word("nbits"));
    assert_eq!(header.time(), word("ntime"));
    assert_eq!(
        header.nonce().submit_hex(),
        v["nonce_submit_hex"].as_str().unwrap()
    );
    assert_eq!(
        header.hash().display_hex(),
        v["block_hash"].as_str().unwrap()
    );
    assert!(header
        .hash()
        .meets(&Target::from_nbits(header.bits()).unwrap()));
}

#[test]
fn sha256d_matches_header_hash() {
    let (h, _) = &blocks()[0];
    let header = Header::from_hex(h).unwrap();
    assert_eq!(sha256d(header.bytes()), header.hash());
}
