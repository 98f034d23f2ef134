package signalling

import (
	"strings"
	"testing"
)

func TestNoticesFromTheDataChannel(t *testing.T) {
	var got []Notice
	s := &Server{cfg: Config{OnNotice: func(n Notice) { got = append(got, n) }}}
	pub := &publication{id: "alice", room: "room1"}
	s.notice(pub, []byte(`{"streamId":"alice","eventType":"MIC_MUTED"}`), true)
	s.notice(pub, []byte(`{"streamId":"bob","eventType":"CAM_TURNED_OFF"}`), true) // speaks for alice only
	s.notice(pub, []byte(`{"eventType":"UPDATE_STATUS"}`), true)
	s.notice(pub, []byte(`{"eventType":"MIC_UNMUTED"}`), false) // binary
	s.notice(pub, []byte(`hello, "eventType"`), true)
	s.notice(pub, []byte(`{"eventType":"MIC_UNMUTED","pad":"`+strings.Repeat("x", maxNotice)+`"}`), true)
	want := []Notice{{StreamID: "alice", Room: "room1", Event: "MIC_MUTED"}, {StreamID: "alice", Room: "room1", Event: "CAM_TURNED_OFF"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("notices %+v, want %+v", got, want)
	}
}
