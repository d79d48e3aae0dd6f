//! Segment spans lie inside the text, on character boundaries, in order.
#![no_main]
use libfuzzer_sys::fuzz_target;
use neardup::segment;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for spans in [segment::lines(s), segment::paragraphs(s), segment::sentences(s)] {
        let mut last = 0;
        for sp in spans {
            assert!(sp.start < sp.end && sp.end <= s.len());
            assert!(s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end));
            assert!(sp.start >= last);
            last = sp.end;
        }
    }
    for u in neardup::passages::unit_spans(s) {
        let sp = u.span;
        assert!(s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end) && sp.end <= s.len());
    }
});
