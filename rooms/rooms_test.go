package rooms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
)

const av1Offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:45 AV1/90000\r\na=sendonly\r\n"

func TestReadOffer(t *testing.T) {
	for _, c := range []struct {
		name, offer string
		want        error
		text        string
	}{
		{"garbage", "hello", ErrBadOffer, ""},
		{"AV1 only", av1Offer, ErrCodec, "proposes AV1; mediapush relays H264, VP8, VP9"},
		{"no media", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", ErrBadOffer, "no audio or video"},
		{"audio without codecs", strings.Replace(av1Offer, "m=video 9 UDP/TLS/RTP/SAVPF 45\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:45 AV1/90000",
			"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0", 1), ErrCodec, "audio proposes none"},
	} {
		_, err := readOffer(c.offer)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want %v with %q", c.name, err, c.want, c.text)
		}
	}
	ok := strings.Replace(av1Offer, "45 AV1/90000", "45 AV1/90000\r\na=rtpmap:96 VP8/90000", 1)
	if m, err := readOffer(ok); err != nil || len(m) != 1 || m[0].codecs[1] != "VP8" {
		t.Errorf("an offer with VP8 among others: %v %+v", err, m)
	}
}

func newHub(t *testing.T, secret []byte) *Hub {
	t.Helper()
	h, err := New(Config{TokenSecret: secret, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestTokens(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	h := newHub(t, secret)
	sign := func(c jwt.Claims, m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	room, _ := h.Token("room1", Play, time.Minute)
	for _, c := range []struct {
		name, token, kind, stream, room, want string
	}{
		{"issued for the stream", must(h.Token("s1", Publish, time.Minute)), Publish, "s1", "", ""},
		{"issued for its room", room, Play, "s1", "room1", ""},
		{"room publish token", must(h.Token("room1", Publish, time.Minute)), Publish, "s1", "room1", ""},
		{"stream token joining a room", must(h.Token("s1", Publish, time.Minute)), Publish, "s1", "room2", "joining room room2"},
		{"stream token bound to its room", sign(jwt.MapClaims{"streamId": "s1", "type": "publish", "roomId": "room1", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256, secret), Publish, "s1", "room1", ""},
		{"stream token bound to another room", sign(jwt.MapClaims{"streamId": "s1", "type": "publish", "roomId": "room1", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256, secret), Publish, "s1", "room2", "joining room room2"},
		{"stream play token in its room", must(h.Token("s1", Play, time.Minute)), Play, "s1", "room2", ""},
		{"room token, stream outside it", room, Play, "s1", "", "another stream"},
		{"wrong kind", room, Publish, "s1", "room1", "not publish"},
		{"none", "", Play, "s1", "", "required"},
		{"expired", must(h.Token("s1", Play, -time.Minute)), Play, "s1", "", "expired"},
		{"no expiry", sign(jwt.MapClaims{"streamId": "s1", "type": "play"}, jwt.SigningMethodHS256, secret), Play, "s1", "", "not valid"},
		{"other key", sign(jwt.MapClaims{"streamId": "s1", "type": "play", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodHS256, []byte("x")), Play, "s1", "", "not valid"},
		{"alg none", sign(jwt.MapClaims{"streamId": "s1", "type": "play", "exp": time.Now().Add(time.Hour).Unix()}, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType), Play, "s1", "", "not valid"},
	} {
		err := h.Authorize(c.token, c.kind, c.stream, c.room)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if err := newHub(t, nil).Authorize("", Publish, "s1", ""); err != nil {
		t.Errorf("without a secret everything is allowed: %v", err)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestHubStreams(t *testing.T) {
	h := newHub(t, nil)
	a, err := h.Add(StreamInfo{ID: "a", Room: "r"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	if _, err := h.Add(StreamInfo{ID: "b", Room: "r", Name: "Bee"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []StreamInfo{{ID: "a"}, {ID: "r"}, {ID: "c", Room: "a"}} {
		if _, err := h.Add(bad, nil); !errors.Is(err, ErrExists) {
			t.Errorf("add %+v: %v, want ErrExists", bad, err)
		}
	}
	if p := h.Participants("r"); len(p) != 2 || p[0].ID != "a" || p[1].Name != "Bee" {
		t.Errorf("participants: %+v", p)
	}
	calls := 0
	k, _ := h.Add(StreamInfo{ID: "k"}, func() { calls++ })
	for range 5 {
		k.RequestKeyframe()
	}
	if calls != 1 {
		t.Errorf("5 keyframe requests at once reached the source %d times, want 1", calls)
	}
	a.Close("test")
	<-a.Done()
	if p := h.Participants("r"); len(p) != 1 {
		t.Errorf("after a left: %+v", p)
	}
	h.Close()
	if _, ok := h.Stream("b"); ok {
		t.Error("a stream outlived the hub")
	}
	if _, err := h.Add(StreamInfo{ID: "z"}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("add after close: %v", err)
	}
}
