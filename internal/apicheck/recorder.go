package apicheck

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
)

// recorder passes a response through and keeps what is checked of it: the status, and the
// body when it is JSON or plain text and not too large.
type recorder struct {
	http.ResponseWriter
	status   int
	written  int64
	body     bytes.Buffer
	keep     bool // the body is of a checked type
	overflow bool // the body outgrew maxChecked
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		r.status = code
		r.keep = checkable(r.Header().Get("Content-Type"))
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(p)
	r.written += int64(n)
	if r.keep && !r.overflow {
		if r.body.Len()+n > maxChecked {
			r.overflow = true
			r.body.Reset()
		} else {
			r.body.Write(p[:n])
		}
	}
	return n, err
}

// checked reports whether the body is kept whole, to be checked.
func (r *recorder) checked() bool { return r.keep && !r.overflow }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (WebSocket upgrades).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the writer's other features.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
