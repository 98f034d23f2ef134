package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPIDocument())
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) { loadOpenAPI(t) }

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// echoWildcards name the files echo's wildcard routes serve, one path segment each.
var echoWildcards = map[string]string{"/dashboard/*": "/dashboard/{file}"}

// routedOperations are the operations echo routes, as "METHOD /path/{param}".
func routedOperations(e *echo.Echo) map[string]bool {
	ops := map[string]bool{}
	for _, r := range e.Routes() {
		// A group with middleware routes its prefix and everything under it to a 404 handler
		// of its own, so that the middleware runs; those are no operations.
		if r.Method == echo.RouteNotFound {
			continue
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		if p, ok := echoWildcards[path]; ok {
			path = p
		}
		ops[r.Method+" "+path] = true
	}
	return ops
}

func documentedOperations(doc *openapi3.T) map[string]bool {
	ops := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops[method+" "+path] = true
		}
	}
	return ops
}

// TestOpenAPIDescribesEveryRoute holds the document and the router to each other: every route
// is described, and every described operation is routed.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	e := echo.New()
	(&Controller{}).routes(e)
	routed, documented := routedOperations(e), documentedOperations(doc)
	var missing, unrouted []string
	for op := range routed {
		if !documented[op] {
			missing = append(missing, op)
		}
	}
	for op := range documented {
		if !routed[op] {
			unrouted = append(unrouted, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(unrouted)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(unrouted) > 0 {
		t.Errorf("operations in openapi.yaml that no route serves:\n  %s", strings.Join(unrouted, "\n  "))
	}
}

// TestOpenAPIServed checks that GET /openapi.json answers the document without credentials,
// from another host too.
func TestOpenAPIServed(t *testing.T) {
	c := &Controller{}
	c.access.apiToken = []byte("a-token-the-caller-does-not-have")
	e := echo.New()
	c.routes(e)
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/openapi.json", nil)
	req.RemoteAddr = "192.0.2.7:40000"
	req.Host = "192.0.2.1:5080"
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %q, want 200 application/json", rec.Code, rec.Header().Get("Content-Type"))
	}
	var served openapi3.T
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil {
		t.Fatalf("the served document is not OpenAPI JSON: %v", err)
	}
	if served.OpenAPI != "3.1.0" || served.Paths.Find("/{app}/rest/v1/media-push/start") == nil || len(served.Webhooks) == 0 {
		t.Errorf("the served document lacks what openapi.yaml holds: openapi %q, %d paths, %d webhooks",
			served.OpenAPI, served.Paths.Len(), len(served.Webhooks))
	}
}
