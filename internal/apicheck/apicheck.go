// Package apicheck checks an HTTP server's real requests and responses against its OpenAPI
// document: wrap the server's handler, run the traffic, read the mismatches.
//
// What counts as a mismatch:
//   - a response whose status the document does not list for the operation, or whose JSON body
//     or content type is not what the document says for that status;
//   - a request the document does not allow (parameters, JSON body) that the server accepted
//     (a 2xx or 101 answer other than Ant Media's success:false): a server that refuses a bad
//     request agrees with the document, whatever the reason it gives;
//   - a request for a path and method the document does not describe that was served: answered
//     other than 404 or 405, or a refusal of access that comes before routing (401, 403, 421).
//
// Bodies are read only where they are checked: JSON and plain text, up to a bound. Media and
// other files stream through untouched.
package apicheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// maxChecked bounds a body kept to be checked; a larger one passes unchecked.
const maxChecked = 4 << 20

// Mismatch is a request or response that does not agree with the document.
type Mismatch struct {
	Method, Path string // the request's
	Status       int    // the response's
	Problem      string
	Count        int // times seen
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("%s %s → %d: %s", m.Method, m.Path, m.Status, m.Problem)
	if m.Count > 1 {
		s += fmt.Sprintf(" (%d times)", m.Count)
	}
	return s
}

// Document is a loaded, validated OpenAPI document, ready to check exchanges against.
type Document struct {
	router routers.Router
}

// Load loads and validates an OpenAPI document (YAML or JSON).
func Load(document []byte) (*Document, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Document{router: router}, nil
}

// Checker collects the mismatches of the exchanges it sees. It is safe for concurrent use.
type Checker struct {
	router routers.Router

	mu         sync.Mutex
	mismatches map[string]*Mismatch
	order      []string
}

// Checker starts collecting mismatches anew; a document serves any number of checkers.
func (d *Document) Checker() *Checker {
	return &Checker{router: d.router, mismatches: map[string]*Mismatch{}}
}

// Mismatches returns what disagreed with the document so far, in the order first seen.
func (c *Checker) Mismatches() []Mismatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Mismatch, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, *c.mismatches[k])
	}
	return out
}

func (c *Checker) report(r *http.Request, status int, problem string) {
	key := r.Method + " " + r.URL.Path + " " + fmt.Sprint(status) + " " + problem
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.mismatches[key]; ok {
		m.Count++
		return
	}
	c.mismatches[key] = &Mismatch{Method: r.Method, Path: r.URL.Path, Status: status, Problem: problem, Count: 1}
	c.order = append(c.order, key)
}

// Handler checks every exchange of next.
func (c *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, reqChecked := keepBody(r)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		c.check(r, reqBody, reqChecked, rec)
	})
}

// refusedUnrouted are the answers to a method and path nobody serves: not found, and the
// refusals of access that come before routing.
var refusedUnrouted = map[int]bool{http.StatusNotFound: true, http.StatusMethodNotAllowed: true,
	http.StatusUnauthorized: true, http.StatusForbidden: true, http.StatusMisdirectedRequest: true}

// keepBody reads a JSON request body to be checked and puts it back for the handler.
func keepBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody || !checkable(r.Header.Get("Content-Type")) {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxChecked+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	return body, err == nil && len(body) <= maxChecked
}

type readCloser struct {
	io.Reader
	io.Closer
}

// checkable reports whether a body of this content type is read and checked.
func checkable(contentType string) bool {
	mt := mediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain"
}

func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func (c *Checker) check(r *http.Request, reqBody []byte, reqChecked bool, rec *recorder) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
		if rec.hijacked {
			status = http.StatusSwitchingProtocols
		}
	}
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		if !refusedUnrouted[status] {
			c.report(r, status, "the document describes no operation for this method and path")
		}
		return
	}
	if route.Operation.Responses.Status(status) == nil && route.Operation.Responses.Default() == nil {
		c.report(r, status, fmt.Sprintf("status %d is not documented for %s %s", status, r.Method, route.Path))
		return
	}
	ctx := context.Background()
	checkedReq := r.Clone(ctx)
	checkedReq.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: checkedReq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: !reqChecked, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && accepted(status, rec) {
		c.report(r, status, "the server accepted a request the document does not allow: "+describe(err))
	}
	if problem := c.checkContentType(r, route, status, rec); problem != "" {
		c.report(r, status, problem)
		return
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: rec.Header(),
		Body:    io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: !rec.checked()}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.report(r, status, describe(err))
	}
}

// checkContentType checks what is not read: that the document lists the content type of a
// response whose body is not checked.
func (c *Checker) checkContentType(r *http.Request, route *routers.Route, status int, rec *recorder) string {
	if rec.checked() || rec.written == 0 || r.Method == http.MethodHead {
		return ""
	}
	ref := route.Operation.Responses.Status(status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	ct := rec.Header().Get("Content-Type")
	if ref == nil || ref.Value == nil || len(ref.Value.Content) == 0 {
		return fmt.Sprintf("the document gives status %d no body, but the server sent %d bytes of %q", status, rec.written, ct)
	}
	if ref.Value.Content.Get(ct) == nil {
		return fmt.Sprintf("content type %q is not documented for status %d (documented: %s)", ct, status, keys(ref.Value.Content))
	}
	return ""
}

func keys(content openapi3.Content) string {
	var out []string
	for k := range content {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// accepted reports whether the server took a request on: a 2xx or 101 answer, except Ant
// Media's refusals (HTTP 200 with success:false).
func accepted(status int, rec *recorder) bool {
	if status != http.StatusSwitchingProtocols && (status < 200 || status > 299) {
		return false
	}
	return !bytes.Contains(rec.body.Bytes(), []byte(`"success":false`))
}

// describe shortens a validation error to its reason and where it is, without the schema
// dumps kin-openapi appends.
func describe(err error) string {
	s := err.Error()
	for _, cut := range []string{"\nSchema:", "\nValue:"} {
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i]
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}
