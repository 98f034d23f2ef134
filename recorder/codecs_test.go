package recorder

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestAVCCHighProfile(t *testing.T) {
	sps, _ := hex.DecodeString("6764001facd9405005bb0110000003001000000303c0f1831960") // x264 High 3.1, 1280x720
	pps, _ := hex.DecodeString("68ebe3cb22c0")
	var p h264Params
	if p.scan([][]byte{sps, pps, {0x65, 0x88}}) != true {
		t.Fatal("IDR not detected")
	}
	rec, w, h, err := p.avcC()
	if err != nil || w != 1280 || h != 720 {
		t.Fatalf("avcC: %v, %dx%d", err, w, h)
	}
	want := append([]byte{1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0, byte(len(sps))}, sps...)
	want = append(want, 1, 0, byte(len(pps)))
	want = append(want, pps...)
	want = append(want, 0xfd, 0xf8, 0xf8, 0) // 4:2:0, 8 bit, no SPS ext
	if !bytes.Equal(rec, want) {
		t.Errorf("avcC\n got %x\nwant %x", rec, want)
	}
	if ps, err := parseAVCC(rec); err != nil || !bytes.Equal(ps[0], sps) || !bytes.Equal(ps[1], pps) {
		t.Errorf("parseAVCC: %v", err)
	}
	var none h264Params
	if _, _, _, err := none.avcC(); err != errNoParams {
		t.Errorf("avcC without parameter sets: %v", err)
	}
	bad := h264Params{sps: []byte{0x67, 1, 2, 3}, pps: pps}
	if _, _, _, err := bad.avcC(); err == nil {
		t.Error("avcC accepted a broken SPS")
	}
	au := [][]byte{sps, {}, pps}
	if got := avccFrame(au); len(got) != 8+len(sps)+len(pps) || got[3] != byte(len(sps)) {
		t.Errorf("avccFrame: %x", got)
	}
}

func TestVP8Size(t *testing.T) {
	w, h, err := vp8Size(vp8Frame(true, 20))
	if err != nil || w != 640 || h != 360 {
		t.Errorf("vp8Size = %d, %d, %v", w, h, err)
	}
	for _, f := range [][]byte{vp8Frame(false, 20), vp8Frame(true, 20)[:8], {0x10, 0, 0, 1, 2, 3, 4, 5, 6, 7}} {
		if _, _, err := vp8Size(f); err == nil {
			t.Errorf("vp8Size(%x) succeeded", f)
		}
	}
}

func TestOpusHead(t *testing.T) {
	h, err := opusHead(2, 48000)
	want := []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}
	if err != nil || !bytes.Equal(h, want) {
		t.Errorf("opusHead = %x, %v; want %x", h, err, want)
	}
	if _, err := opusHead(3, 48000); err == nil {
		t.Error("3 channels accepted")
	}
	if d := opusCodecDelay(); d != 6500000 {
		t.Errorf("CodecDelay %d", d)
	}
}
