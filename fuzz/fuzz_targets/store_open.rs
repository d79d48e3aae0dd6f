//! The store reader: any bytes as a segment or a manifest give an error, never a panic; a
//! segment that opens answers queries without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use neardup::dedup::DocFingerprint;
use neardup::lsh::anchors::AnchorParams;
use neardup::store::{manifest::Manifest, Segment};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("neardup-fuzz-store-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("seg-000001.nds");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = Manifest::decode(data, &path);
    if let Ok(seg) = Segment::open(&path) {
        let _ = seg.verify();
        let mut out = Vec::new();
        let mut sig = Vec::new();
        for d in 0..seg.len().min(4) {
            seg.signature_into(d, &mut sig);
            let _ = (seg.id_json(d), seg.date(d), seg.group(d), seg.size(d), seg.anchor_count(d));
            seg.figures_into(d, &mut out);
        }
        for b in 0..seg.params().bands as usize {
            seg.band_hits(b, 42, &mut out);
        }
        seg.anchor_hits(7, 16, &mut out);
        let _ = (
            DocFingerprint { signature: None, anchors: vec![], size: 0, figures: vec![] },
            AnchorParams::default(),
        );
    }
});
