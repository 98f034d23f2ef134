package signalling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"

	"mediapush/rooms"
)

// testBackend applies the service's id rules in short and describes live streams and rooms.
type testBackend struct{ hub *rooms.Hub }

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func (testBackend) CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("streamId %q is not valid", id)
	}
	return nil
}

func (b testBackend) CheckPublishID(id string) error {
	if strings.HasSuffix(id, "_composite") {
		return fmt.Errorf("streamId %s is reserved", id)
	}
	return b.CheckID(id)
}

// NewStreamID numbers the ids it makes, in the shape of the service's.
func (testBackend) NewStreamID() string { return fmt.Sprintf("joined%010d", joinedIDs.Add(1)) }

var joinedIDs atomic.Int64

func (testBackend) CheckName(name string) error {
	if len(name) > 64 {
		return errors.New("name too long")
	}
	return nil
}

func (b testBackend) Broadcast(_ context.Context, id string) ([]byte, error) {
	if s, ok := b.hub.Stream(id); ok {
		return json.Marshal(map[string]any{"streamId": id, "name": s.Info().Name, "mainTrackStreamId": s.Info().Room})
	}
	if parts := b.hub.Participants(id); len(parts) > 0 {
		return json.Marshal(map[string]any{"streamId": id, "metaData": `{"isRecording":false}`})
	}
	return nil, fmt.Errorf("no broadcast %s: %w", id, rooms.ErrNotFound)
}

// fixture is a hub and a signalling server on loopback.
type fixture struct {
	t   *testing.T
	hub *rooms.Hub
	srv *Server
	url string
}

func newFixture(t *testing.T, secret []byte, options ...func(*Config)) *fixture {
	t.Helper()
	hub, err := rooms.New(rooms.Config{TokenSecret: secret, NoMediaTimeout: time.Minute,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Hub: hub, Backend: testBackend{hub}, ReadLimit: 64 << 10,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	for _, o := range options {
		o(&cfg)
	}
	srv := New(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		hub.Close()
	})
	return &fixture{t: t, hub: hub, srv: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http")}
}

// client is an SDK client: a WebSocket speaking the SDK's commands.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan map[string]any
}

func (f *fixture) dial() *client {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, f.url, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	c := &client{t: f.t, ws: ws, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(c.msgs)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				f.t.Errorf("the server sent %q: %v", data, err)
				return
			}
			c.msgs <- m
		}
	}()
	f.t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(data)
}

func (c *client) sendRaw(data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		c.t.Fatal(err)
	}
}

// expect waits for a message with the command (and for notifications and errors, the
// definition), skipping others.
func (c *client) expect(command, definition string) map[string]any {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("the connection closed while %s %s was expected", command, definition)
			}
			if m["command"] == command && (definition == "" || m["definition"] == definition) {
				return m
			}
			if m["command"] == "error" {
				c.t.Logf("error while waiting for %s %s: %v", command, definition, m)
			}
		case <-timeout:
			c.t.Fatalf("no %s %s within 10 s", command, definition)
		}
	}
}

func newPC(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// sdkPublisher publishes like the SDK: publish, start, offer, answer, publish_started.
type sdkPublisher struct {
	*client
	id   string
	pc   *webrtc.PeerConnection
	dc   *webrtc.DataChannel
	open chan struct{}
	stop chan struct{}
}

func (f *fixture) publish(id, room string) *sdkPublisher {
	f.t.Helper()
	return f.publishOn(f.dial(), id, room)
}

// publishOn publishes on the connection of c.
func (f *fixture) publishOn(c *client, id, room string) *sdkPublisher {
	f.t.Helper()
	p := &sdkPublisher{client: c, id: id, pc: newPC(f.t), open: make(chan struct{}), stop: make(chan struct{})}
	video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", id)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := p.pc.AddTrack(video); err != nil {
		f.t.Fatal(err)
	}
	if p.dc, err = p.pc.CreateDataChannel(id, nil); err != nil {
		f.t.Fatal(err)
	}
	p.dc.OnOpen(func() { close(p.open) })
	p.send(map[string]any{"command": "publish", "streamId": id, "mainTrack": room, "streamName": "Name " + id,
		"token": "", "video": true, "audio": false, "metaData": "", "role": ""})
	if got := p.expect("start", ""); got["streamId"] != id {
		f.t.Fatalf("start names %v, want %s", got["streamId"], id)
	}
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		f.t.Fatal(err)
	}
	p.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			ci := c.ToJSON()
			p.send(map[string]any{"command": "takeCandidate", "streamId": id, "label": ci.SDPMLineIndex, "id": ci.SDPMid, "candidate": ci.Candidate})
		}
	})
	p.send(map[string]any{"command": "takeConfiguration", "streamId": id, "type": "offer", "sdp": offer.SDP})
	ans := p.expect("takeConfiguration", "")
	if ans["type"] != "answer" {
		f.t.Fatalf("the publisher got %v, want an answer", ans)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans["sdp"].(string)}); err != nil {
		f.t.Fatal(err)
	}
	go func() { // media: a stream starts with its first packets, and players need something
		seq := uint16(0)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			seq++
			video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
				Timestamp: uint32(seq) * 1800, SSRC: 1, Marker: true}, Payload: []byte{0x10, 0, 0x9d, 0x01, 0x2a}})
		}
	}()
	f.t.Cleanup(func() { p.halt() })
	p.expect("notification", "publish_started")
	return p
}

func (p *sdkPublisher) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
}

// sdkPlayer plays like the SDK: play, offer with idMapping, answer, play_started, and answers
// every later offer.
type sdkPlayer struct {
	*client
	id string
	pc *webrtc.PeerConnection

	mu       sync.Mutex
	mapping  map[string]string // the last idMapping
	offers   int
	tracks   map[string]string // track id → msid stream id, of tracks that got packets
	messages []string
	changed  chan struct{}
}

func (f *fixture) play(c *client, id string, trackList ...string) *sdkPlayer {
	f.t.Helper()
	if c == nil {
		c = f.dial()
	}
	p := &sdkPlayer{client: c, id: id, pc: newPC(f.t), tracks: map[string]string{}, changed: make(chan struct{}, 100)}
	p.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if _, _, err := tr.ReadRTP(); err != nil {
			return
		}
		p.mu.Lock()
		p.tracks[tr.ID()] = tr.StreamID()
		p.mu.Unlock()
		p.changed <- struct{}{}
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	})
	p.pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			p.mu.Lock()
			kind := "binary:"
			if m.IsString {
				kind = "text:"
			}
			p.messages = append(p.messages, kind+string(m.Data))
			p.mu.Unlock()
			p.changed <- struct{}{}
		})
	})
	if trackList == nil {
		trackList = []string{}
	}
	p.send(map[string]any{"command": "play", "streamId": id, "token": "", "room": "", "trackList": trackList})
	p.answerOffer()
	p.expect("notification", "play_started")
	return p
}

// answerOffer takes the server's next offer and answers it.
func (p *sdkPlayer) answerOffer() {
	p.t.Helper()
	m := p.expect("takeConfiguration", "")
	if m["type"] != "offer" || m["streamId"] != p.id {
		p.t.Fatalf("the player got %v, want an offer for %s", m, p.id)
	}
	mapping := map[string]string{}
	if raw, ok := m["idMapping"].(map[string]any); ok {
		for k, v := range raw {
			mapping[k] = v.(string)
		}
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m["sdp"].(string)}); err != nil {
		p.t.Fatal(err)
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		p.t.Fatal(err)
	}
	<-gathered
	p.mu.Lock()
	p.mapping = mapping
	p.offers++
	p.mu.Unlock()
	p.send(map[string]any{"command": "takeConfiguration", "streamId": p.id, "type": "answer", "sdp": p.pc.LocalDescription().SDP})
}

// mapped are the track ids of the last idMapping, sorted.
func (p *sdkPlayer) mapped() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, id := range p.mapping {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// waitFor waits until cond holds of the player.
func (p *sdkPlayer) waitFor(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		p.mu.Lock()
		ok := cond()
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-p.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			p.t.Fatalf("the player never saw %s", what)
		}
	}
}
