//! debug
use neardup::normalize::Normalizer;
fn main() {
    let n = Normalizer::default();
    let data = std::fs::read_to_string("../shared/eval/reprints/dev.jsonl").unwrap();
    let mut c = 0;
    for l in data.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let t = v["text"].as_str().unwrap();
        let out = n.normalize(t);
        if out.split(' ').filter(|w| !w.is_empty()).count() == 0 {
            c += 1;
            if c < 3 { println!("{:?} -> {:?}", &t[..t.len().min(200)], &out[..out.len().min(100)]); }
        }
    }
    println!("{c}");
}
