package rooms

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"mediapush/internal/jwtcheck"
)

func roomToken(tb testing.TB, secret []byte, c jwt.MapClaims) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// A token opens a stream only when it is signed with the node's secret, unexpired, of the kind
// asked for and for that stream or its room; a stream's publish token joins only its own room.
func FuzzAuthorize(f *testing.F) {
	secret := []byte("room-token-secret-room-token-sec")
	h := &Hub{cfg: Config{TokenSecret: secret}}
	exp := time.Now().Add(time.Hour).Unix()
	own, err := h.Token("s1", Publish, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(own, Publish, "s1", "")
	f.Add(own, Publish, "s1", "room1")
	f.Add(own, Play, "s1", "")
	f.Add(own, Publish, "s2", "")
	f.Add(own[:len(own)-2], Publish, "s1", "")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "room1", "type": "play", "exp": exp}), Play, "s1", "room1")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "room1", "type": "publish", "exp": exp}), Publish, "s1", "room1")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "s1", "type": "publish", "roomId": "room1", "exp": exp}), Publish, "s1", "room1")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "s1", "type": "publish", "roomId": "room1", "exp": exp}), Publish, "s1", "room2")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "s1", "type": "publish"}), Publish, "s1", "")
	f.Add(roomToken(f, secret, jwt.MapClaims{"streamId": "s1", "type": "publish", "exp": time.Now().Add(-time.Hour).Unix()}), Publish, "s1", "")
	f.Add(roomToken(f, []byte("another-secret-another-secret-00"), jwt.MapClaims{"streamId": "s1", "type": "publish", "exp": exp}), Publish, "s1", "")
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"streamId": "s1", "type": "publish", "exp": exp}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	f.Add(none, Publish, "s1", "")
	f.Add("", Play, "s1", "")
	f.Add("a.b.c", Play, "s1", "")
	f.Fuzz(func(t *testing.T, token, kind, streamID, room string) {
		if h.Authorize(token, kind, streamID, room) != nil {
			return
		}
		c, ok := jwtcheck.HS256Claims(token, secret)
		if !ok {
			t.Fatalf("accepted a token not signed with the secret: %q", token)
		}
		n, ok := c["exp"].(json.Number)
		if e, err := n.Float64(); !ok || err != nil || e+5 <= float64(time.Now().Unix()) {
			t.Fatalf("accepted a token without a future expiry: %v", c["exp"])
		}
		if c["type"] != kind {
			t.Fatalf("accepted a %v token for %q", c["type"], kind)
		}
		if c["streamId"] != streamID && (room == "" || c["streamId"] != room) {
			t.Fatalf("accepted a token for %v on stream %q of room %q", c["streamId"], streamID, room)
		}
		if kind == Publish && room != "" && c["streamId"] != room && c["roomId"] != room {
			t.Fatalf("a publish token for %v (room %v) joined room %q", c["streamId"], c["roomId"], room)
		}
	})
}
