package controller

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// openAPIYAML describes every route of the HTTP API (OpenAPI 3.1). It is written by hand:
// the routes answer in Ant Media's and Dolby's shapes, which no generator would reproduce.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIDocument is the API's OpenAPI document, as YAML.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIYAML...) }

// openAPIJSON is the document as GET /openapi.json serves it, converted once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
})

// openAPI serves the document. It needs no credential: it describes the API, names no stream
// and holds no secret.
func (c *Controller) openAPI(ctx echo.Context) error {
	doc, err := openAPIJSON()
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}
