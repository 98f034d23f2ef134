package apicheck

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// pets is the server testdata/pets.yaml describes, with the faults the tests look for.
func pets() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.PathValue("id") {
		case "rex":
			io.WriteString(w, `{"name":"rex"}`) //nolint:errcheck // test server
		case "nameless":
			io.WriteString(w, `{"age":3}`) //nolint:errcheck // test server
		case "gone":
			w.WriteHeader(http.StatusGone)
			io.WriteString(w, `{}`) //nolint:errcheck // test server
		case "Upper":
			io.WriteString(w, `{"name":"Upper"}`) //nolint:errcheck // test server
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{}`) //nolint:errcheck // test server
		}
	})
	mux.HandleFunc("PUT /pets/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(string(body), "colour") && r.PathValue("id") == "strict":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{}`) //nolint:errcheck // test server
		case strings.Contains(string(body), "colour") && r.PathValue("id") == "antmedia":
			io.WriteString(w, `{"success":false}`) //nolint:errcheck // test server
		default:
			io.WriteString(w, `{"success":true}`) //nolint:errcheck // test server
		}
	})
	mux.HandleFunc("GET /photos/{file}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("file") == "wrong.png" {
			w.Header().Set("Content-Type", "image/png")
		} else {
			w.Header().Set("Content-Type", "image/jpeg")
		}
		w.Write(bytes.Repeat([]byte{0xff}, 3<<20)) //nolint:errcheck // test server
	})
	mux.HandleFunc("OPTIONS /pets/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	mux.HandleFunc("GET /undocumented", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }) //nolint:errcheck // test server
	mux.HandleFunc("GET /socket", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nhello") //nolint:errcheck // test server
		rw.Flush()                                                                                              //nolint:errcheck // test server
	})
	return mux
}

func newServer(t *testing.T) (*Checker, *httptest.Server) {
	t.Helper()
	doc, err := os.ReadFile("testdata/pets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Checker()
	srv := httptest.NewServer(c.Handler(pets()))
	t.Cleanup(srv.Close)
	return c, srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) []byte {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, srv.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out
}

func TestAgreeingExchangesPass(t *testing.T) {
	c, srv := newServer(t)
	call(t, srv, "GET", "/pets/rex", "")
	call(t, srv, "GET", "/pets/unknown", "")                                  // a documented 404
	call(t, srv, "PUT", "/pets/strict", `{"colour":"red"}`)                   // a bad request, refused
	call(t, srv, "PUT", "/pets/antmedia", `{"colour":"red"}`)                 // refused the Ant Media way
	call(t, srv, "PUT", "/pets/rex", `{"name":"rex"}`)                        // a good one, accepted
	call(t, srv, "GET", "/nowhere", "")                                       // not described, and not found
	call(t, srv, "OPTIONS", "/pets/rex", "")                                  // not described, and refused
	if got := call(t, srv, "GET", "/photos/big.jpg", ""); len(got) != 3<<20 { // a file, unread
		t.Errorf("the photo came through as %d bytes, want %d", len(got), 3<<20)
	}
	if m := c.Mismatches(); len(m) != 0 {
		t.Errorf("mismatches of exchanges that agree with the document: %v", m)
	}
}

func TestMismatchesAreNamed(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"body off its schema", "GET", "/pets/nameless", "", 200, "missing property 'name'"},
		{"undocumented status", "GET", "/pets/gone", "", 410, "status 410 is not documented"},
		{"bad request accepted", "PUT", "/pets/lenient", `{"colour":"red"}`, 200, "accepted a request the document does not allow"},
		{"path parameter off its schema accepted", "GET", "/pets/Upper", "", 200, "accepted a request the document does not allow"},
		{"undocumented content type", "GET", "/photos/wrong.png", "", 200, `content type "image/png" is not documented`},
		{"undocumented route answered", "GET", "/undocumented", "", 200, "describes no operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, srv := newServer(t)
			call(t, srv, tc.method, tc.path, tc.body)
			call(t, srv, tc.method, tc.path, tc.body)
			m := c.Mismatches()
			if len(m) != 1 {
				t.Fatalf("mismatches: %v, want one", m)
			}
			if m[0].Method != tc.method || m[0].Path != tc.path || m[0].Status != tc.status || m[0].Count != 2 ||
				!strings.Contains(m[0].Problem, tc.want) {
				t.Errorf("mismatch %v, want %s %s → %d saying %q, twice", m[0], tc.method, tc.path, tc.status, tc.want)
			}
		})
	}
}

func TestUpgradedConnectionsPassThrough(t *testing.T) {
	c, srv := newServer(t)
	var d net.Dialer
	conn, err := d.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n") //nolint:errcheck // test
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("status %d through the checker, want 101", resp.StatusCode)
	}
	srv.Close() // waits for the handler, and so the check
	if m := c.Mismatches(); len(m) != 0 {
		t.Errorf("mismatches of an upgrade: %v", m)
	}
}

func TestInvalidDocumentIsRefused(t *testing.T) {
	_, err := Load([]byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n"))
	if err == nil {
		t.Error("a document with a dangling $ref was accepted")
	}
}
