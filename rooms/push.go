package rooms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// PushStatus is a snapshot of a WHIP push.
type PushStatus struct {
	State    string `json:"state"` // connecting, running, retrying, closed
	Restarts int    `json:"restarts"`
	Err      string `json:"error,omitempty"`
}

// Push sends a live stream on to another server's WHIP endpoint (another mediapush, Ant Media,
// a CDN), connecting again with growing pauses whenever the connection fails.
type Push struct {
	h      *Hub
	s      *Stream
	target *url.URL
	token  string
	client *http.Client

	mu     sync.Mutex
	status PushStatus
	stop   chan struct{}
	done   chan struct{}
}

// CheckWHIP accepts absolute http(s) URLs.
func CheckWHIP(target string) (*url.URL, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("whipUrl %q is not an http:// or https:// URL", target)
	}
	return u, nil
}

// Push starts pushing stream id to a WHIP endpoint; token, when set, is sent as a Bearer token.
// It connects through Config.Dial, the destination policy.
func (h *Hub) Push(id, target, token string) (*Push, error) {
	return h.push(id, target, token, h.cfg.Dial)
}

// PushToOperatorTarget pushes stream id like Push, to a server the operator configured rather
// than one a caller named (a worker node's controller): it connects directly, as the
// destination policy, which judges callers' targets, may well refuse the cluster's own
// private addresses.
func (h *Hub) PushToOperatorTarget(id, target, token string) (*Push, error) {
	return h.push(id, target, token, nil)
}

func (h *Hub) push(id, target, token string, dial func(ctx context.Context, network, address string) (net.Conn, error)) (*Push, error) {
	u, err := CheckWHIP(target)
	if err != nil {
		return nil, err
	}
	s, ok := h.Stream(id)
	if !ok {
		return nil, fmt.Errorf("stream %s is not live: %w", id, ErrNotFound)
	}
	p := &Push{h: h, s: s, target: u, token: token, client: pushClient(dial),
		status: PushStatus{State: "connecting"}, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// pushClient is the HTTP client of one push. It follows no redirect: the target is the
// destination the caller named and the policy judged, and a 3xx is an error like any other
// non-201 answer.
func pushClient(dial func(ctx context.Context, network, address string) (net.Conn, error)) *http.Client {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	return &http.Client{
		Timeout:       15 * time.Second,
		Transport:     &http.Transport{DialContext: dial, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Status reports the push's state.
func (p *Push) Status() PushStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Close ends the push (the remote session is ended with a DELETE).
func (p *Push) Close() {
	p.mu.Lock()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.mu.Unlock()
	<-p.done
	p.client.CloseIdleConnections()
}

func (p *Push) set(state string, err error) {
	p.mu.Lock()
	p.status.State = state
	if err != nil {
		p.status.Err = err.Error()
	}
	if state == "retrying" {
		p.status.Restarts++
	}
	p.mu.Unlock()
}

func (p *Push) run() {
	defer close(p.done)
	pause := time.Second
	for {
		began := time.Now()
		err := p.attempt()
		select {
		case <-p.stop:
			p.set("closed", nil)
			return
		case <-p.s.Done():
			p.set("closed", nil)
			return
		default:
		}
		if time.Since(began) > time.Minute {
			pause = time.Second
		}
		p.h.log.Warn().Err(err).Str("streamId", p.s.info.ID).Str("whip", p.target.Host).Dur("retryIn", pause).Msg("WHIP push stopped; retrying")
		p.set("retrying", err)
		select {
		case <-p.stop:
			p.set("closed", nil)
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// attempt publishes once, until the connection fails, the stream ends or the push is closed.
func (p *Push) attempt() error {
	p.set("connecting", nil)
	pc, err := p.h.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer pc.Close() //nolint:errcheck // first, so that the feedback readers end
	for _, t := range p.s.localTracks() {
		tr, err := pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return err
		}
		sender := tr.Sender()
		wg.Add(1)
		go func() {
			defer wg.Done()
			relayKeyframeRequests(sender, p.s)
		}()
	}
	failed := make(chan webrtc.PeerConnectionState, 1)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			p.set("running", nil)
			p.s.RequestKeyframe()
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			select {
			case failed <- st:
			default:
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	answer, session, err := p.post(pc.LocalDescription().SDP)
	if err != nil {
		return err
	}
	defer p.endSession(session)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		// Not err itself: it may quote the answer, and what the server sent stays out of
		// statuses and logs.
		return errors.New("the WHIP server's answer is not a usable SDP answer")
	}
	select {
	case <-p.stop:
		return nil
	case <-p.s.Done():
		return nil
	case st := <-failed:
		return fmt.Errorf("connection %s", st)
	}
}

// post sends the offer; it returns the answer and the session's resource URL.
func (p *Push) post(offer string) (string, *url.URL, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, p.target.String(), strings.NewReader(offer))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The url.Error quotes the whole URL, query included; the host is enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", nil, fmt.Errorf("WHIP server %s: %w", p.target.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		// The status code alone: the body and the reason phrase are the remote server's words,
		// which must not reach the API, the events or the log.
		return "", nil, fmt.Errorf("WHIP server %s answered HTTP %d %s", p.target.Host, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var session *url.URL
	if loc := resp.Header.Get("Location"); loc != "" {
		// Only a resource on the same server is ended: the DELETE carries the token.
		if l, err := url.Parse(loc); err == nil {
			if r := p.target.ResolveReference(l); r.Scheme == p.target.Scheme && r.Host == p.target.Host {
				session = r
			}
		}
	}
	return string(body), session, nil
}

func (p *Push) endSession(session *url.URL) {
	if session == nil {
		return
	}
	req, err := http.NewRequest(http.MethodDelete, session.String(), nil)
	if err != nil {
		return
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	if resp, err := p.client.Do(req); err == nil {
		resp.Body.Close()
	}
}
