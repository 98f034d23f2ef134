// Package ingest receives each session's captured tab over WebRTC: a WHIP-style endpoint on
// loopback where the browser posts its SDP offer, authorised by a per-session secret, and a
// pion peer per session that turns RTP into timed media samples on a common A/V clock.
package ingest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rs/zerolog"
)

// Server is the loopback ingest endpoint shared by all sessions of a process.
type Server struct {
	api  *webrtc.API
	ln   net.Listener
	http *http.Server
	log  zerolog.Logger

	mu       sync.Mutex
	sessions map[string]*Session
}

// Listen starts the ingest on a free loopback port.
func Listen(log zerolog.Logger) (*Server, error) {
	api, err := newAPI()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	s := &Server{api: api, ln: ln, log: log, sessions: map[string]*Session{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ingest/{id}", s.handleOffer)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go s.http.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the endpoint and every session still open.
func (s *Server) Close() error {
	s.mu.Lock()
	open := make([]*Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		open = append(open, sess)
	}
	s.mu.Unlock()
	for _, sess := range open {
		sess.Close()
	}
	return s.http.Close()
}

// NewSession registers a session that one browser may publish to, once.
func (s *Server) NewSession(id string, cfg Config) (*Session, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	sess := newSession(s, id, hex.EncodeToString(secret), cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.sessions[id]; dup {
		return nil, fmt.Errorf("ingest: session %s exists already", id)
	}
	s.sessions[id] = sess
	return sess, nil
}

func (s *Server) forget(id string, sess *Session) {
	s.mu.Lock()
	if s.sessions[id] == sess {
		delete(s.sessions, id)
	}
	s.mu.Unlock()
}

// URL is where the browser of session id posts its offer.
func (s *Server) URL(id string) string {
	return "http://" + s.ln.Addr().String() + "/ingest/" + id
}

func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if sess == nil || subtle.ConstantTimeCompare([]byte(token), []byte(sess.secret)) != 1 {
		// One answer for both cases: an unknown id and a wrong secret must look alike.
		http.Error(w, "unknown session or wrong secret", http.StatusUnauthorized)
		return
	}
	offer, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the offer", http.StatusBadRequest)
		return
	}
	answer, err := sess.accept(string(offer))
	switch {
	case errors.Is(err, errPublishedAlready):
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer) //nolint:errcheck // the browser reports a failed read itself
}
